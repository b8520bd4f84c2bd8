"""
An article's body as readers see it.

Plain text becomes numbered paragraphs (<p id="p-3">), every character
escaped. Markdown is rendered and then sanitised with nh3, so whatever the
source holds, only the tags and attributes listed here reach the page. In
both, the passages an editor linked to an event are marked and link to it.
"""

import itertools
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "em",
    "strong",
    "b",
    "i",
    "a",
    "abbr",
    "cite",
    "q",
    "blockquote",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "code",
    "pre",
    "sub",
    "sup",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
# Top-level blocks that get a paragraph anchor, counted as plain text counts its paragraphs.
ANCHORED_BLOCKS = {"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "dl", "pre", "table"}
VOID_TAGS = {"br", "hr", "img", "wbr"}


@dataclass
class Passage:
    """A passage linked to an event: the words, where to look first, and where it leads."""

    excerpt: str
    url: str
    title: str
    anchor: str
    paragraph: int | None = None
    placed: bool = field(default=False, compare=False)

    @property
    def words(self) -> str:
        return " ".join(self.excerpt.split())


def passages_from_links(links) -> list[Passage]:
    """Passages from ArticleEvent rows whose event is loaded."""
    return [
        Passage(
            excerpt=link.excerpt,
            url=link.event.get_absolute_url(),
            title=link.event.title,
            anchor=f"passage-{link.pk}",
            paragraph=link.paragraph,
        )
        for link in links
    ]


def _marked(text: str, spans: list[tuple[int, int, Passage]], *, linked: bool = True) -> str:
    """`text` escaped, the spans wrapped in <mark>; overlapping spans share one mark per segment."""
    if not spans:
        return escape(text, quote=False)
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out, opened = [], set()
    for start, end in itertools.pairwise(cuts):
        segment = escape(text[start:end], quote=False)
        covering = [p for s, e, p in spans if s <= start and end <= e]
        if not covering:
            out.append(segment)
            continue
        first = covering[0]
        fresh = [p.anchor for p in covering if p.anchor not in opened]
        opened.update(fresh)
        # An element has one id: a second passage starting here gets an empty anchor before it.
        out.extend(f'<span id="{anchor}"></span>' for anchor in fresh[1:])
        ids = f' id="{fresh[0]}"' if fresh else ""
        titles = "; ".join(p.title for p in covering)
        if linked:
            out.append(
                f'<mark class="passage"{ids}><a href="{escape(first.url)}" title="Event: {escape(titles)}">'
                f"{segment}</a></mark>"
            )
        else:
            out.append(f'<mark class="passage"{ids} title="Event: {escape(titles)}">{segment}</mark>')
    return "".join(out)


def render_plain(paragraphs: list[str], passages: list[Passage]) -> SafeString:
    texts = [" ".join(p.split()) for p in paragraphs]
    # Excerpts are checked against the body with its whitespace collapsed, so they
    # may run over a paragraph break: search the paragraphs joined by one space.
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + 1
    full = " ".join(texts)
    spans: list[list[tuple[int, int, Passage]]] = [[] for _ in texts]
    for passage in passages:
        words = passage.words
        if not words:
            continue
        position = -1
        if passage.paragraph and 1 <= passage.paragraph <= len(texts):
            position = full.find(words, starts[passage.paragraph - 1])
        if position < 0:
            position = full.find(words)
        if position < 0:
            continue
        passage.placed = True
        end = position + len(words)
        for index, start in enumerate(starts):
            stop = start + len(texts[index])
            if position < stop and end > start:
                spans[index].append((max(position, start) - start, min(end, stop) - start, passage))
    html = [
        f'<p id="p-{n}">{_marked(text, spans[n - 1])}'
        f' <a class="pilcrow" href="#p-{n}" aria-label="Link to paragraph {n}">¶</a></p>'
        for n, text in enumerate(texts, start=1)
    ]
    return mark_safe("\n".join(html))  # noqa: S308 (the text is escaped by _marked)


class _Annotator(HTMLParser):
    """Re-emits sanitised HTML, numbering top-level blocks and marking passages in text."""

    def __init__(self, passages: list[Passage]):
        super().__init__(convert_charrefs=True)
        self.passages = passages
        self.out: list[str] = []
        self.stack: list[str] = []
        self.blocks = 0

    def handle_starttag(self, tag, attrs):
        rendered = "".join(f" {name}" if value is None else f' {name}="{escape(value)}"' for name, value in attrs)
        if not self.stack and tag in ANCHORED_BLOCKS:
            self.blocks += 1
            rendered = f' id="p-{self.blocks}"' + rendered
        self.out.append(f"<{tag}{rendered}>")
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if "pre" in self.stack or "code" in self.stack:
            self.out.append(escape(data, quote=False))
            return
        text = " ".join(data.split())
        if data[:1].isspace():
            text = " " + text
        if data[-1:].isspace() and text.strip():
            text += " "
        spans = []
        for passage in self.passages:
            if passage.placed or not passage.words:
                continue
            position = text.find(passage.words)
            if position >= 0:
                passage.placed = True
                spans.append((position, position + len(passage.words), passage))
        self.out.append(_marked(text, spans, linked="a" not in self.stack))


def render_markdown(source: str, passages: list[Passage]) -> SafeString:
    html = markdown.markdown(source, extensions=["sane_lists", "tables"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    annotator = _Annotator(passages)
    annotator.feed(clean)
    annotator.close()
    return mark_safe("".join(annotator.out))  # noqa: S308 (nh3-clean markup, text re-escaped)


def render_body(article, links=(), *, paragraphs: list[str] | None = None) -> SafeString:
    """The article's body as HTML; `links` are its ArticleEvent rows with their events."""
    passages = passages_from_links(links)
    if article.body_format == "markdown":
        return render_markdown(article.body if paragraphs is None else "\n\n".join(paragraphs), passages)
    return render_plain(article.paragraphs() if paragraphs is None else paragraphs, passages)
