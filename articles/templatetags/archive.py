"""Template helpers for the reader site: dates as precise as their sources, and the timeline."""

import datetime
import functools
import html

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.dateformat import format as django_date_format
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from register.models import EventSubType, tag_url

register = template.Library()


@functools.lru_cache(maxsize=20000)
def _formatted(value: datetime.date, pattern: str, language: str | None) -> str:
    return django_date_format(value, pattern)


def date_format(value: datetime.date, pattern: str) -> str:
    """Django's date formatting, remembered per date, pattern and language: a list page shows many dates."""
    if isinstance(value, datetime.datetime):
        return django_date_format(value, pattern)
    return _formatted(value, pattern, get_language())


def _day(value: datetime.date) -> str:
    return date_format(value, "j F Y")


@register.simple_tag
def precise_date(value, precision="day", end=None) -> str:
    """
    A date, or a period, said no more exactly than the source allows:
    "5 July 2017", "week of 3 July 2017", "July 2017", "2017", "10–16 July 2017".
    """
    if not value:
        return ""
    if end == value:
        end = None
    if precision == "year":
        return f"{value.year}–{end.year}" if end and end.year != value.year else str(value.year)
    if precision == "month":
        start = date_format(value, "F Y")
        if end and (end.year, end.month) != (value.year, value.month):
            if end.year == value.year:
                return f"{date_format(value, 'F')}–{date_format(end, 'F Y')}"
            return f"{start} – {date_format(end, 'F Y')}"
        return start
    if precision == "week":
        text = f"week of {_day(value)}"
        return f"{text} to {_day(end)}" if end and end - value > datetime.timedelta(days=6) else text
    if not end:
        return _day(value)
    if (end.year, end.month) == (value.year, value.month):
        return f"{value.day}–{_day(end)}"
    if end.year == value.year:
        return f"{date_format(value, 'j F')} – {_day(end)}"
    return f"{_day(value)} – {_day(end)}"


@functools.lru_cache(maxsize=256)
def _page_url(viewname: str, script_prefix: str, urlconf: str) -> str:
    return reverse(viewname, urlconf=urlconf)


@register.simple_tag
def page_url(viewname: str) -> str:
    """
    {% url viewname %} for a page that takes no arguments, remembered per script
    prefix and URLconf: every page's header and footer link the same few pages,
    and reverse() costs more than the rest of the header.
    """
    return _page_url(viewname, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@register.simple_tag
def select_options(choices, selected) -> str:
    """
    A select's <option> elements for (value, label) pairs, the one whose value is
    `selected` marked so: one call where a template loop tested each option.
    """
    return mark_safe(  # noqa: S308 (values and labels escaped)
        "".join(
            f'<option value="{_escape(value)}"{" selected" if value == selected else ""}>{_escape(label)}</option>'
            for value, label in choices
        )
    )


@register.simple_tag
def tag_links(tags, label="Tags") -> str:
    """
    Tags as a list of links to their pages, nothing when there are none. One call
    where a template loop would resolve two variables per tag: a list page shows
    about two hundred.
    """
    if not tags:
        return ""
    prefix = get_script_prefix()
    # By name, as the article's own page lists them (articles.relations), whatever order they were read in.
    ordered = sorted(tags, key=lambda tag: (tag.name.casefold(), tag.pk))
    items = "".join(_tag_item(prefix, tag.slug, tag.name) for tag in ordered)
    return format_html('<ul class="tags" aria-label="{}">{}</ul>', label, mark_safe(items))  # noqa: S308 (escaped)


def _escape(text: str) -> str:
    return html.escape(str(text))


@functools.lru_cache(maxsize=20000)
def _tag_item(prefix: str, slug: str, name: str) -> str:
    """One tag's list item, escaped, remembered: the same few hundred tags recur on every list page."""
    return f'<li><a href="{escape(tag_url(prefix, slug))}">{escape(name)}</a></li>'


@register.simple_tag
def article_item(article, snippets=False) -> str:
    """
    One article of a list: its title and link, date, publication and byline, its
    snippet (search) or standfirst, and its tags. One call per article, where an
    included template pushed a context and walked its nodes for each. Its values are
    strings, escaped by the standard library as Django's escape() does, without the
    check for lazy text that costs more than the escaping.
    """
    if article.original_date:
        when = precise_date(article.original_date, article.original_date_precision)
    else:
        when = precise_date(article.dated)
    meta = ""
    if article.publication_id and article.publication:
        meta += f" · {_escape(article.publication.name)}"
    if article.byline:
        meta += f" · {_escape(article.byline)}"
    snippet = getattr(article, "snippet", "") if snippets else ""
    if snippet:
        text = f'<p class="item__snippet">{conditional_escape(snippet)}</p>'
    elif article.standfirst:
        text = f'<p class="item__standfirst">{_escape(article.standfirst)}</p>'
    else:
        text = ""
    dated = article.dated.isoformat() if article.dated else ""
    item = (
        '<article class="item">\n'
        f'  <h3 class="item__title"><a href="{_escape(article.get_absolute_url())}">{_escape(article.title)}</a></h3>\n'
        f'  <p class="item__meta">\n    <time datetime="{dated}">{_escape(when)}</time>{meta}\n  </p>\n'
        f"  {text}\n"
        f"  {tag_links(getattr(article, 'listed_tags', None))}\n"
        "</article>"
    )
    return mark_safe(item)  # noqa: S308 (every value above is escaped)


_SUB_EVENT_TYPES = dict(EventSubType.choices)


@register.simple_tag
def event_item(event) -> str:
    """
    One event of a list: its date as precise as its sources, title and link, sub-type,
    place and reported fatalities. One call per event, where an included template
    pushed a context and walked its nodes for each (a list shows up to a hundred).
    """
    dated = event.start_date.isoformat() if event.start_date else ""
    when = precise_date(event.start_date, event.date_precision, event.end_date)
    # get_sub_event_type_display() flattens every choice for each call.
    meta = _escape(_SUB_EVENT_TYPES.get(event.sub_event_type, event.sub_event_type))
    if event.place_id and event.place:
        meta += f" · {_escape(event.place.name)}"
    if event.fatalities_low is not None or event.fatalities_high is not None:
        meta += f" · fatalities reported: {_escape(event.fatalities_display)}"
    item = (
        '<li class="event-item">\n'
        f'  <span class="event-item__date"><time datetime="{dated}">{_escape(when)}</time></span>\n'
        f'  <a class="event-item__title" href="{_escape(event.get_absolute_url())}">{_escape(event.title)}</a>\n'
        f'  <span class="event-item__meta">{meta}</span>\n'
        "</li>"
    )
    return mark_safe(item)  # noqa: S308 (every value above is escaped)


@register.simple_tag
def tag_cloud(tags, peak) -> str:
    """
    The cloud's items, each sized by cloud_size and with its counts: rendered in one
    call, for the cloud holds every public tag (thousands in a grown archive).
    """
    prefix = get_script_prefix()
    items = [
        f'<li class="cloud__tag cloud__tag--{cloud_size(tag.item_count, peak)}">'
        f'<a href="{escape(tag_url(prefix, tag.slug))}">{escape(tag.name)}</a> '
        f'<span class="count" aria-label="{tag.article_count} articles, {tag.event_count} events">'
        f"{tag.item_count}</span></li>"
        for tag in tags
    ]
    return mark_safe("\n".join(items))  # noqa: S308 (names and addresses escaped, counts are integers)


@register.inclusion_tag("articles/_timeline.html")
def timeline_svg(timeline, caption="Events per month"):
    return {"timeline": timeline, "caption": caption}


@register.filter
def cloud_size(count, peak) -> int:
    """A tag's step in the cloud, 1 to 5, by its share of the most used tag."""
    try:
        share = int(count) / max(int(peak), 1)
    except (TypeError, ValueError):
        return 1
    return 1 + min(4, int(share * 5))
