"""
Text search over articles and events, the same words on SQLite and PostgreSQL.

On PostgreSQL the text is matched with full-text search (websearch syntax,
ranked); on SQLite every word must appear somewhere in the text. On both, a
name counts whatever its spelling: a query that names an actor or a place by
any of its aliases also finds what is linked to them.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorExact,
    SearchVectorField,
)
from django.db import connection, connections, router
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    Expression,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import IContains
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from register.models import ActorAlias, EventParticipant, PlaceAlias
from register.text import normalize_name

from . import search_index
from .models import ArticleActor, ArticlePlace

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10
# Matches ranked per search (the newest ones), counts shown exactly up to COUNT_CAP,
# and the number of text matches beyond which a search walks articles in date order.
RANKED = 200
COUNT_CAP = 100
FREQUENT = 1000
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


@dataclass(frozen=True)
class Names:
    """The actors and places a query names (by name or alias) and the tags holding it: resolved once per search."""

    actors: tuple[int, ...] = ()
    places: tuple[int, ...] = ()
    tags: tuple[int, ...] = ()


def resolve_names(query: str) -> Names:
    """
    In one query, the ids of the actors and places whose name or an alias matches
    the query, and of the tags whose name holds it. The searches after it use the
    ids as constants, so the planner knows how few there are (a pattern on names
    it would guess at), and a search that names none asks nothing more of them.
    """
    from register.models import Actor, Place, Tag

    condition = name_condition(query)
    if condition is None:
        return Names()

    def ids(queryset: QuerySet, kind: str, field: str) -> QuerySet:
        return queryset.filter(condition).order_by().annotate(named_kind=Value(kind)).values_list("named_kind", field)

    parts = [
        ids(Actor.objects.all(), "actor", "pk"),
        ids(ActorAlias.objects.all(), "actor", "actor_id"),
        ids(Place.objects.all(), "place", "pk"),
        ids(PlaceAlias.objects.all(), "place", "place_id"),
        Tag.objects.filter(name__icontains=query.strip())
        .order_by()
        .annotate(named_kind=Value("tag"))
        .values_list("named_kind", "pk"),
    ]
    found: dict[str, set[int]] = {"actor": set(), "place": set(), "tag": set()}
    for kind, pk in parts[0].union(*parts[1:], all=True):
        found[kind].add(pk)
    return Names(**{f"{kind}s": tuple(sorted(ids)) for kind, ids in found.items()})


def _text_condition(query: str, fields: tuple[str, ...]) -> Q:
    condition = Q()
    for word in terms(query):
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition


# --------------------------------------------------------------------------
# Articles: the stored index of migration 0005 (articles.search_index)
# --------------------------------------------------------------------------


class _ArticleColumnExpression(Expression):
    """An expression on the articles_article row of the query it is used in, whatever its alias."""

    def __init__(self, alias=None):
        super().__init__()
        self.alias = alias

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.alias = query.get_initial_alias()
        return clone

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def get_group_by_cols(self):
        return [self]

    def column(self, compiler, name: str) -> str:
        return f"{compiler.quote_name_unless_alias(self.alias)}.{compiler.connection.ops.quote_name(name)}"


class StoredDocument(_ArticleColumnExpression):
    """PostgreSQL: the stored, GIN-indexed tsvector of ARTICLE_VECTOR."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        return self.column(compiler, search_index.COLUMN), []


class FullTextProbe(_ArticleColumnExpression):
    """SQLite: whether the FTS5 index matches this one article (a rowid lookup in the index)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, match: str, alias=None):
        super().__init__(alias)
        self.match = match

    def as_sql(self, compiler, connection):
        table = search_index.FTS_TABLE
        row = self.column(compiler, "id")
        sql = f"EXISTS(SELECT 1 FROM {table} WHERE {table} MATCH %s AND {table}.rowid = {row})"  # noqa: S608
        return sql, [self.match]


def fts_match(query: str) -> str | None:
    """The query as an FTS5 expression: every word (a phrase when hyphenated), none of the negated ones."""
    negated = {word.casefold() for part in _NEGATED.findall(query) for word in _WORD.findall(part)}
    wanted = terms(_NEGATED.sub(" ", query))
    if not wanted:
        return None
    quoted = ['"' + word.replace('"', '""') + '"' for word in wanted]
    match = " AND ".join(quoted)
    for word in sorted(negated - {w.casefold() for w in wanted}):
        match += ' NOT "' + word.replace('"', '""') + '"'
    return match


def _search_query(query: str) -> SearchQuery:
    return SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)


def _readable_match(query: str) -> Q:
    """
    Whether the words match what readers may read: the stored index covers the whole
    body, so an article shown as an excerpt only (Article.excerpt) must match on its
    title, standfirst and excerpt alone, checked on the row.
    """
    from .models import excerpt_expression, full_text_permitted

    if uses_full_text():
        shown = SearchVector("title", "standfirst", excerpt_expression(), config=SEARCH_CONFIG)
        in_excerpt = Q(SearchVectorExact(shown, _search_query(query)))
    else:
        negated = {word.casefold() for part in _NEGATED.findall(query) for word in _WORD.findall(part)}
        in_excerpt = Q(pk__isnull=False)
        for word in terms(_NEGATED.sub(" ", query)):
            in_excerpt &= _in_readable_text(word)
        for word in negated:
            in_excerpt &= ~_in_readable_text(word)
    return full_text_permitted() | in_excerpt


def _in_readable_text(word: str) -> Q:
    from .models import excerpt_expression

    return Q(title__icontains=word) | Q(standfirst__icontains=word) | Q(IContains(excerpt_expression(), word))


def _text_ids(query: str) -> tuple[str, list] | None:
    """SQL selecting the ids of articles (any status) whose readable text matches, from the stored index."""
    from .models import Article

    if uses_full_text():
        matching = Article.objects.alias(document=StoredDocument()).filter(document=_search_query(query))
    else:
        match = fts_match(query)
        if match is None:
            return None
        table = search_index.FTS_TABLE
        found = RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [match])  # noqa: S608, S611
        matching = Article.objects.filter(pk__in=found)
    return matching.filter(_readable_match(query)).order_by().values("pk").query.sql_with_params()


def _text_condition_for_walk(query: str) -> Q:
    """The text match as a condition on each row, for plans that walk articles in date order."""
    if uses_full_text():
        return Q(SearchVectorExact(StoredDocument(), _search_query(query))) & _readable_match(query)
    match = fts_match(query)
    return Q(FullTextProbe(match)) & _readable_match(query) if match else Q(pk__in=[])


# Whether a query's words matched many articles, as last measured in this process by the
# search page. Either query shape finds the same articles: a stale answer costs time, never results.
_frequent: dict[tuple[str, str], bool] = {}


def frequent(query: str) -> bool:
    """What the last search with these words in this process found: many matches or few (no query)."""
    return _frequent.get((connection.alias, query), False)


def few_ids(query: str, names: Names | None = None) -> list[int] | None:
    """
    The ids of the articles (any status) the words and names match, when FREQUENT or
    fewer; None when more, for then walking the newest articles and testing each is
    cheaper than gathering every match.
    """
    # UNION ALL stops at the limit; a row found twice only reaches it sooner.
    sql, params = _union_ids(query, _name_ids(query, names), union="UNION ALL")
    # The database the page's other reads use: a replica for anonymous readers (archive.routers).
    with connections[router.db_for_read(ArticleActor)].cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql} LIMIT {FREQUENT + 1}) AS found", params)  # noqa: S608
        rows = [row[0] for row in cursor.fetchall()]
    if len(_frequent) > 1000:
        _frequent.clear()
    _frequent[(connection.alias, query)] = len(rows) > FREQUENT
    return None if len(rows) > FREQUENT else sorted(set(rows))


def _name_ids(query: str, names: Names | None = None) -> list[QuerySet]:
    """The ids of the articles linked to the actors and places the query names."""
    from register.models import Actor, Place

    if names is not None:
        # Resolved already: constants, and nothing to ask when the query names no one.
        linked = []
        if names.actors:
            linked.append(ArticleActor.objects.filter(actor__in=names.actors).order_by().values("article"))
        if names.places:
            linked.append(ArticlePlace.objects.filter(place__in=names.places).order_by().values("article"))
        return linked
    actors = named(Actor.objects.all(), ActorAlias, query).values("pk")
    places = named(Place.objects.all(), PlaceAlias, query).values("pk")
    return [
        ArticleActor.objects.filter(actor__in=actors).order_by().values("article"),
        ArticlePlace.objects.filter(place__in=places).order_by().values("article"),
    ]


def _matching(articles: QuerySet, query: str, *, walk: bool, names: Names | None = None) -> QuerySet:
    linked = _name_ids(query, names)
    if walk:
        condition = _text_condition_for_walk(query)
        for ids in linked:
            condition |= Q(pk__in=ids)
        return articles.filter(condition)
    return articles.filter(pk__in=RawSQL(*_union_ids(query, linked)))  # noqa: S611 (compiled querysets)


def _union_ids(query: str, linked: list[QuerySet], union: str = "UNION") -> tuple[str, list]:
    """One set of ids, the text's and the names', for the planner to join: each part uses its own index."""
    parts = [_text_ids(query)] + [ids.query.sql_with_params() for ids in linked]
    parts = [part for part in parts if part is not None]
    if not parts:  # no words to match and no one named
        return "SELECT 0 WHERE 1 = 0", []
    return f" {union} ".join(part[0] for part in parts), [param for part in parts for param in part[1]]


def _rank(query: str) -> SearchRank:
    # ts_rank scores a query holding a negation ("ceasefire -Tripoli") near zero for
    # every row, so rank by the words the reader wants and match by the whole query.
    wanted = _NEGATED.sub(" ", query).strip() or query
    return SearchRank(StoredDocument(), _search_query(wanted))


def search_articles(articles: QuerySet, query: str, *, rank: bool = True) -> QuerySet:
    """
    Articles (from an already public queryset) matching the query's words or the
    names in it. Ranked on PostgreSQL: the newest RANKED matches by relevance
    first, then the rest by date; on SQLite by date.
    """
    if not terms(query):
        return articles.none()
    # Lists filtered by words run one query fewer than the search page: no measuring here.
    matched = _matching(articles, query, walk=frequent(query))
    if not rank or not uses_full_text():
        return matched
    candidates = matched.order_by("-dated", "-id").values("pk")[:RANKED]
    score = Case(When(pk__in=candidates, then=_rank(query)), default=Value(0.0), output_field=FloatField())
    return matched.annotate(search_rank=score).order_by("-search_rank", "-dated", "-id")


def best_articles(articles: QuerySet, query: str, names: Names | None = None) -> tuple[QuerySet, QuerySet]:
    """
    For the search page: (the matches to show, best first; every match). On
    PostgreSQL the ranking reads at most FREQUENT or RANKED stored documents,
    however common the words.
    """
    if not terms(query):
        return articles.none(), articles.none()
    ids = few_ids(query, names)
    walk = ids is None
    if walk:
        matched = _matching(articles, query, walk=True, names=names)
    else:
        # Start from the ids and ask of each whether it is in `articles`, so that no index
        # of `articles` is walked instead (SQLite, without statistics, would take status's).
        matched = articles.model.objects.filter(pk__in=ids).filter(Exists(articles.filter(pk=OuterRef("pk"))))
    if not uses_full_text():
        return matched.order_by("-dated", "-id"), matched
    # Few matches (FREQUENT at most) are all ranked; of many, the newest RANKED.
    best = articles.filter(pk__in=matched.order_by("-dated", "-id").values("pk")[:RANKED]) if walk else matched
    return best.annotate(search_rank=_rank(query)).order_by("-search_rank", "-dated", "-id"), matched


@dataclass(frozen=True)
class Hits:
    """
    What the search page found for a query, as ids and capped counts: kept for the
    editorial version (hits()), so that the same search again reads only the rows
    it shows. Every editorial change, publication or permission replaces the
    version, so no id here outlives the rule that made it public.
    """

    articles: tuple[int, ...]  # the first page, best first
    article_count: int  # up to COUNT_CAP + 1
    events: tuple[int, ...]  # the first page, newest first
    event_count: int  # up to COUNT_CAP + 1
    actors: tuple[int, ...]  # the public actors, places and tags the query names
    places: tuple[int, ...]
    tags: tuple[int, ...]


def find(query: str, size: int) -> Hits:
    """The search page's hits, asked of the database: names, text, events and counts."""
    from . import public, visibility
    from .models import Article

    names = resolve_names(query)
    best, _ = best_articles(Article.objects.public(), query, names)
    # The page and the capped count from one read: `best` holds every match, or on PostgreSQL
    # at least the newest RANKED of them, so fewer than COUNT_CAP + 1 ids here means all of them.
    article_ids = list(best.values_list("pk", flat=True)[: max(size, COUNT_CAP + 1)])
    # The events shown and their capped count from one read of at most COUNT_CAP + 1 ids.
    events = search_events(visibility.reported_events(), query, names)
    event_ids = list(events.order_by("-start_date", "-id").values_list("pk", flat=True)[: max(size, COUNT_CAP + 1)])
    # Whether a named actor, place or tag is public, from what is read once per editorial
    # version (the counts the actor and tag pages use too, the ids of places with public content).
    actor_counts = public.actor_counts() if names.actors else {}
    places = visibility.visible_place_ids() if names.places else frozenset()
    tag_counts = public.tag_counts() if names.tags else {}
    return Hits(
        articles=tuple(article_ids[:size]),
        article_count=len(article_ids),
        events=tuple(event_ids[:size]),
        event_count=len(event_ids),
        actors=tuple(pk for pk in names.actors if pk in actor_counts),
        places=tuple(pk for pk in names.places if pk in places),
        tags=tuple(pk for pk in names.tags if pk in tag_counts),
    )


def hits(query: str, size: int) -> Hits:
    """find(), kept for the editorial version: a search repeated before the next change asks for rows by id only."""
    from . import cache

    return cache.cached("search-hits", (query, size), lambda: find(query, size))


def shown_count(count: int, cap: int = COUNT_CAP) -> str:
    return f"{cap:,}+" if count > cap else f"{count:,}"


def search_events(events: QuerySet, query: str, names: Names | None = None) -> QuerySet:
    """Events (from an already public queryset) matching the query's words or the names in it."""
    if not terms(query):
        return events.none()
    from register.models import Actor, Place

    if names is None:
        actors = named(Actor.objects.all(), ActorAlias, query).values("pk")
        places = named(Place.objects.all(), PlaceAlias, query).values("pk")
    else:
        actors, places = names.actors, names.places
    condition = _text_condition(query, ("title", "description"))
    if names is None or actors:
        condition |= Q(Exists(EventParticipant.objects.filter(event=OuterRef("pk"), actor__in=actors)))
    if names is None or places:
        condition |= Q(place__in=places)
    return events.filter(condition)


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
