"""
Text search over articles and events, the same words on SQLite and PostgreSQL.

On PostgreSQL the text is matched with full-text search (websearch syntax,
ranked); on SQLite every word must appear somewhere in the text. On both, a
name counts whatever its spelling: a query that names an actor or a place by
any of its aliases also finds what is linked to them.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from register.models import ActorAlias, EventParticipant, PlaceAlias
from register.text import normalize_name

from .models import ArticleActor, ArticleEvent, ArticlePlace

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10
SEARCH_CONFIG = "english"
# The weighted document the GIN index of migration 0003 is built on: keep the two in step.
ARTICLE_VECTOR = (
    SearchVector("title", weight="A", config=SEARCH_CONFIG)
    + SearchVector("standfirst", weight="B", config=SEARCH_CONFIG)
    + SearchVector("body", weight="C", config=SEARCH_CONFIG)
)

_NEGATED = re.compile(r"(?:^|\s)-\S+")
_WORD = re.compile(r"\w[\w'’-]*\w|\w", re.UNICODE)


def terms(query: str) -> list[str]:
    """The distinct words of a query, in order, at most MAX_TERMS of them."""
    seen: list[str] = []
    for word in _WORD.findall(query):
        if word.casefold() not in (w.casefold() for w in seen):
            seen.append(word)
    return seen[:MAX_TERMS]


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def name_condition(query: str, field: str = "name_key") -> Q | None:
    """Names equal to the query's key, or holding it as whole words ("serraj" in "fayez serraj")."""
    key = normalize_name(query)
    if not key:
        return None
    condition = Q(**{field: key})
    if len(key) >= 4:
        condition |= (
            Q(**{f"{field}__startswith": f"{key} "})
            | Q(**{f"{field}__endswith": f" {key}"})
            | Q(**{f"{field}__contains": f" {key} "})
        )
    return condition


def named(queryset: QuerySet, alias_model, query: str) -> QuerySet:
    """Actors or places whose name or an alias matches the query."""
    by_name = name_condition(query)
    if by_name is None:
        return queryset.none()
    owner = "actor" if alias_model is ActorAlias else "place"
    by_alias = alias_model.objects.filter(name_condition(query), **{owner: OuterRef("pk")})
    return queryset.filter(by_name | Exists(by_alias))


def _text_condition(query: str, fields: tuple[str, ...]) -> Q:
    condition = Q()
    for word in terms(query):
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition


def _linked_to_names(query: str, actors_through, places_through, owner: str) -> Q:
    """Rows linked to an actor or place that the query names."""
    from register.models import Actor, Place

    actors = named(Actor.objects.all(), ActorAlias, query).values("pk")
    places = named(Place.objects.all(), PlaceAlias, query).values("pk")
    return Q(Exists(actors_through.filter(**{owner: OuterRef("pk")}, actor__in=actors))) | Q(
        Exists(places_through.filter(**{owner: OuterRef("pk")}, place__in=places))
    )


def search_articles(articles: QuerySet, query: str, *, rank: bool = True) -> QuerySet:
    """Articles (from an already public queryset) matching the query's words or the names in it."""
    if not terms(query):
        return articles.none()
    by_name = _linked_to_names(query, ArticleActor.objects.all(), ArticlePlace.objects.all(), "article")
    if uses_full_text():
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        # The @@ match runs in a subquery of its own, where the GIN index of migration 0003 serves it.
        by_text = articles.model.objects.annotate(document=ARTICLE_VECTOR).filter(document=search_query)
        # ts_rank scores a query holding a negation ("ceasefire -Tripoli") near zero for
        # every row, so rank by the words the reader wants and match by the whole query.
        wanted = _NEGATED.sub(" ", query).strip() or query
        rank_query = SearchQuery(wanted, search_type="websearch", config=SEARCH_CONFIG)
        articles = articles.annotate(search_rank=SearchRank(ARTICLE_VECTOR, rank_query))
        matched = articles.filter(Q(pk__in=by_text.values("pk")) | by_name)
        return matched.order_by("-search_rank", "-dated", "-id") if rank else matched
    return articles.filter(_text_condition(query, ("title", "standfirst", "body")) | by_name)


def search_events(events: QuerySet, query: str) -> QuerySet:
    """Events (from an already public queryset) matching the query's words or the names in it."""
    if not terms(query):
        return events.none()
    from register.models import Actor, Place

    actors = named(Actor.objects.all(), ActorAlias, query).values("pk")
    places = named(Place.objects.all(), PlaceAlias, query).values("pk")
    return events.filter(
        _text_condition(query, ("title", "description"))
        | Q(Exists(EventParticipant.objects.filter(event=OuterRef("pk"), actor__in=actors)))
        | Q(place__in=places)
    )


def articles_reporting(events: QuerySet) -> Q:
    return Q(Exists(ArticleEvent.objects.filter(article=OuterRef("pk"), event__in=events)))


def snippet(text: str, query: str, *, width: int = 240) -> SafeString:
    """An escaped passage of `text` around the first word of the query found, words marked."""
    words = [w for w in terms(query) if len(w) > 1]
    if not text:
        return mark_safe("")
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None
    found = pattern.search(text) if pattern else None
    start = max(0, found.start() - width // 3) if found else 0
    passage = text[start : start + width]
    if start > 0:
        passage = "…" + passage.split(" ", 1)[-1]
    if start + width < len(text):
        passage = passage.rsplit(" ", 1)[0] + "…"
    passage = " ".join(passage.split())
    if pattern is None:
        return escape(passage)
    pieces, last = [], 0
    for match in pattern.finditer(passage):
        pieces.append(escape(passage[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    pieces.append(escape(passage[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece is escaped above)
