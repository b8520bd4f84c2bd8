"""
Annotation help: what an article's text mentions that its annotations do not
yet say.

Known actors and places are found by their name and every alias, whatever the
case, diacritics or Arabic article ("al-Serraj", "Al Sarraj" and "SARRAJ" all
find one actor), and only as whole words. Capitalised names that match nothing
in the register are offered as new actors, and dates are listed so an editor
can date events. Nothing here writes: linking is the editor's click.
"""

import calendar
import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from register.models import Actor, ActorAlias, Place, PlaceAlias
from register.text import normalize_name

from .models import Article

_WORD = re.compile(r"[\w\u0300-\u036f\u064b-\u065f]+")
# What may stand between the words of one name: spaces, a line break, hyphens, apostrophes, brackets.
_JOINER = re.compile(r"[ \t]*\n?[ \t]*|[ \t]*[-‐'’()][ \t]*|\.[ \t]?")
_ACRONYM = re.compile(r"[A-Z0-9&.\-]+")
_POSSESSIVE_END = re.compile(r"['’]s$")

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_DATE_PATTERNS = [
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}}))?\b"), "dmy"),
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?\b"), "mdy"),
    (re.compile(rf"\b{_MONTH}\s+(\d{{4}})\b"), "my"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "iso"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"), "dmy_numeric"),
]

# Capitalised words that open sentences or name times, not actors.
_NOT_NAMES = {
    *(name for name in calendar.month_name if name),
    *(name for name in calendar.day_name),
    *[
        "The",
        "A",
        "An",
        "In",
        "On",
        "At",
        "By",
        "For",
        "From",
        "To",
        "Of",
        "And",
        "But",
        "Or",
        "Yet",
        "So",
        "As",
        "If",
        "This",
        "That",
        "These",
        "Those",
        "There",
        "Their",
        "They",
        "He",
        "She",
        "It",
        "His",
        "Her",
        "Its",
        "We",
        "Our",
        "However",
        "Meanwhile",
        "According",
        "After",
        "Before",
        "During",
        "Since",
        "While",
        "When",
        "Where",
        "Also",
        "Both",
        "Last",
        "Next",
        "Earlier",
        "Later",
        "Several",
        "Some",
        "Many",
        "Most",
        "Other",
        "Another",
        "Such",
        "Following",
        "Despite",
        "Although",
        "Though",
        "Under",
        "Over",
        "Near",
        "Between",
        "Among",
        "Against",
        "Within",
        "Without",
        "With",
    ],
}
_NAME_WORD = r"(?:(?:[Aa]l|[Ee]l|[Aa][dnrstz]|[Aa]sh|[Aa]dh)-)?[A-Z][\w’'\-]*"
_CANDIDATE = re.compile(rf"{_NAME_WORD}(?:(?:[ \t]+|[ \t]*\n[ \t]*)(?:(?:of|the|for|bin|ibn)[ \t]+)*{_NAME_WORD})+")


@dataclass
class Mention:
    start: int
    end: int
    text: str
    kind: str  # "actor", "place", "candidate" or "date"
    label: str
    linked: bool = False
    targets: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Match:
    """One known actor or place the text mentions, with each spelling found."""

    obj: Actor | Place
    kind: str
    variants: list[str] = field(default_factory=list)
    count: int = 0
    linked: bool = False


@dataclass
class Candidate:
    name: str
    count: int = 1


@dataclass
class FoundDate:
    text: str
    value: datetime.date | None
    precision: str  # "day" or "month"


@dataclass
class Suggestions:
    actors: list[Match]
    places: list[Match]
    candidates: list[Candidate]
    dates: list[FoundDate]
    mentions: list[Mention]
    body: str

    @property
    def unlinked_actors(self) -> list[Match]:
        return [match for match in self.actors if not match.linked]

    @property
    def unlinked_places(self) -> list[Match]:
        return [match for match in self.places if not match.linked]

    def highlighted_body(self) -> SafeString:
        """The body, escaped, with every mention wrapped in a <mark>."""
        parts, position = [], 0
        for mention in self.mentions:
            if mention.start < position:
                continue
            parts.append(escape(self.body[position : mention.start]))
            state = "linked" if mention.linked else "unlinked"
            parts.append(
                format_html(
                    '<mark class="mention mention-{} mention-{}" title="{}">{}</mark>',
                    mention.kind,
                    state,
                    mention.label,
                    mention.text,
                )
            )
            position = mention.end
        parts.append(escape(self.body[position:]))
        return mark_safe("".join(parts))  # noqa: S308 (every piece is escaped above)


class NameIndex:
    """Every normalised name and alias of the register's actors and places."""

    def __init__(self):
        self.keys: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
        self.longest = 1
        sources = [
            ("actor", Actor.objects.values_list("pk", "name")),
            ("actor", ActorAlias.objects.values_list("actor_id", "name")),
            ("place", Place.objects.values_list("pk", "name")),
            ("place", PlaceAlias.objects.values_list("place_id", "name")),
        ]
        for kind, rows in sources:
            for pk, name in rows:
                # Keys are computed here rather than read from name_key so rows
                # written in bulk, without save(), are found all the same.
                key = normalize_name(name)
                if key:
                    self.keys[key].append((kind, pk, name))
                    self.longest = max(self.longest, len(_WORD.findall(name)))

    def find(self, text: str) -> list[tuple[int, int, list[tuple[str, int, str]]]]:
        """
        Every whole-word span of `text` that spells a known name, nested ones
        included: "UN-backed Government of National Accord" names the UN too.
        """
        tokens = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        # run_end[i]: the last token a name starting at token i may reach without crossing punctuation.
        run_end = list(range(len(tokens)))
        for i in range(len(tokens) - 2, -1, -1):
            if _JOINER.fullmatch(text[tokens[i][1] : tokens[i + 1][0]]):
                run_end[i] = run_end[i + 1]
        # A name may be written with an article its register spelling lacks ("al-Sarraj" for "Sarraj").
        widest = self.longest + 2
        found = []
        for i in range(len(tokens)):
            for j in range(i, min(run_end[i], i + widest - 1) + 1):
                span = text[tokens[i][0] : tokens[j][1]]
                entries = self.keys.get(normalize_name(span))
                if entries:
                    entries = [entry for entry in entries if _spelled_alike(entry[2], span)]
                if entries:
                    end = tokens[j][1]
                    if text[end : end + 1] == "." and any(entry[2].endswith(".") for entry in entries):
                        end += 1
                    found.append((tokens[i][0], end, entries))
        return _without_repeats(found)


def _without_repeats(found):
    """Drop a name found inside a longer span naming the same record ("Sarraj" in "Fayez al-Sarraj")."""
    kept = []
    for start, end, entries in found:
        inner = [
            entry
            for entry in entries
            if not any(
                s <= start and end <= e and (s, e) != (start, end) and any(o[:2] == entry[:2] for o in outer)
                for s, e, outer in found
            )
        ]
        if inner:
            kept.append((start, end, inner))
    return kept


def outermost(spans):
    """The spans not inside a longer one, left to right: what the body highlights."""
    chosen, reached = [], -1
    for span in sorted(spans, key=lambda item: (item[0], -item[1])):
        if span[0] >= reached:
            chosen.append(span)
            reached = span[1]
    return chosen


def _spelled_alike(name: str, span: str) -> bool:
    # An acronym ("US", "UN", "GNA") is found only in capitals, so the word "us" is not the United States.
    if len(name) <= 5 and _ACRONYM.fullmatch(name) and name.upper() == name:
        span = _POSSESSIVE_END.sub("", span)
        return span.upper() == span
    return True


def find_dates(text: str, reference: datetime.date | None = None) -> list[tuple[int, int, FoundDate]]:
    taken: list[tuple[int, int]] = []
    results = []
    for pattern, shape in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            found = _read_date(m, shape, reference)
            if found is None:
                continue
            taken.append((m.start(), m.end()))
            results.append((m.start(), m.end(), found))
    return sorted(results, key=lambda item: item[0])


def _read_date(m: re.Match, shape: str, reference: datetime.date | None) -> FoundDate | None:
    groups = m.groups()
    try:
        if shape == "dmy":
            day, month, year = int(groups[0]), _MONTHS[groups[1].lower()], groups[2]
        elif shape == "mdy":
            month, day, year = _MONTHS[groups[0].lower()], int(groups[1]), groups[2]
        elif shape == "my":
            return FoundDate(m.group(0), datetime.date(int(groups[1]), _MONTHS[groups[0].lower()], 1), "month")
        elif shape == "iso":
            year, month, day = groups
            return FoundDate(m.group(0), datetime.date(int(year), int(month), int(day)), "day")
        else:
            day, month, year = int(groups[0]), int(groups[1]), groups[2]
        if year is None:
            if reference is None:
                return FoundDate(m.group(0), None, "day")
            # A weekly brief's "23 August" is in its own year unless that would put it well after the brief.
            value = datetime.date(reference.year, month, day)
            if value > reference + datetime.timedelta(days=31):
                value = datetime.date(reference.year - 1, month, day)
            return FoundDate(m.group(0), value, "day")
        return FoundDate(m.group(0), datetime.date(int(year), month, day), "day")
    except (ValueError, KeyError):
        return None


def find_candidates(text: str, taken: list[tuple[int, int]], known_keys) -> list[tuple[int, int, str]]:
    """Capitalised multi-word names that overlap no known mention."""
    results = []
    for m in _CANDIDATE.finditer(text):
        words = list(re.finditer(r"\S+", m.group(0)))
        # Trim words that open a sentence or name a day or month.
        while words and (words[0].group(0) in _NOT_NAMES or words[0].group(0).islower()):
            words.pop(0)
        while words and (words[-1].group(0) in _NOT_NAMES or words[-1].group(0).islower()):
            words.pop()
        if len(words) < 2:
            continue
        start, end = m.start() + words[0].start(), m.start() + words[-1].end()
        name = text[start:end]
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        if normalize_name(name) in known_keys:
            continue
        results.append((start, end, " ".join(name.split())))
    return results


def suggest(article: Article, index: NameIndex | None = None) -> Suggestions:
    index = index or NameIndex()
    body = article.body
    linked_actors = set(article.actor_links.values_list("actor_id", flat=True))
    linked_places = set(article.place_links.values_list("place_id", flat=True))
    linked = {"actor": linked_actors, "place": linked_places}

    matches: dict[tuple[str, int], Match] = {}
    mentions: list[Mention] = []
    texts = [(article.title, False), (article.standfirst, False), (body, True)]
    spans_in_body: list[tuple[int, int]] = []
    for text, is_body in texts:
        found = index.find(text)
        shown = {(start, end) for start, end, _ in outermost(found)} if is_body else set()
        for start, end, entries in found:
            spelled = text[start:end]
            for kind, pk, _name in entries:
                key = (kind, pk)
                if key not in matches:
                    matches[key] = Match(obj=None, kind=kind, linked=pk in linked[kind])
                match = matches[key]
                match.count += 1
                if spelled not in match.variants:
                    match.variants.append(spelled)
            if is_body:
                spans_in_body.append((start, end))
            if (start, end) in shown:
                all_linked = all(pk in linked[kind] for kind, pk, _ in entries)
                targets = [(kind, pk) for kind, pk, _ in entries]
                mentions.append(Mention(start, end, spelled, entries[0][0], "", all_linked, targets))

    objects = {
        "actor": Actor.objects.in_bulk([pk for kind, pk in matches if kind == "actor"]),
        "place": Place.objects.in_bulk([pk for kind, pk in matches if kind == "place"]),
    }
    for (kind, pk), match in matches.items():
        match.obj = objects[kind][pk]
    for mention in mentions:
        names = [f"{kind} {matches[kind, pk].obj}" for kind, pk in mention.targets]
        state = "linked" if mention.linked else "not linked yet"
        mention.label = f"{', '.join(names)} ({state})"

    candidates: dict[str, Candidate] = {}
    for start, end, name in find_candidates(body, spans_in_body, index.keys):
        key = normalize_name(name)
        if key in candidates:
            candidates[key].count += 1
        else:
            candidates[key] = Candidate(name=name)
        mentions.append(Mention(start, end, body[start:end], "candidate", "not in the register"))

    reference = article.original_date or article.period_end or article.dated
    dates = []
    for start, end, found in find_dates(body, reference):
        dates.append(found)
        label = found.value.isoformat() if found.value else "date"
        if found.precision == "month" and found.value:
            label = found.value.strftime("%Y-%m")
        mentions.append(Mention(start, end, found.text, "date", label))

    mentions.sort(key=lambda mention: (mention.start, -mention.end))
    by_name = sorted(matches.values(), key=lambda match: (match.linked, str(match.obj).casefold()))
    return Suggestions(
        actors=[match for match in by_name if match.kind == "actor"],
        places=[match for match in by_name if match.kind == "place"],
        candidates=sorted(candidates.values(), key=lambda c: (-c.count, c.name)),
        dates=dates,
        mentions=mentions,
        body=body,
    )
