"""
What readers may see of the register, derived from Article.objects.public().

An actor, place, tag or event is shown only while something public refers to
it, so a name that only a draft mentions never reaches the public site. Every
query here starts from Article.objects.public() or Event.objects.public().
"""

import datetime
import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import get_script_prefix

from register.models import Actor, Event, EventParticipant, Place, Tag, TaggedEvent, tag_url

from . import cache
from .models import Article, ArticleActor, ArticleEvent, ArticlePlace, Publication, TaggedArticle


def public_article_ids() -> QuerySet:
    return Article.objects.public().values("pk")


def counted_article_ids() -> QuerySet:
    """
    public_article_ids() for counting every tag's or actor's links at once
    (ArticleQuerySet.public_in_bulk). Not for asking about one item: it reads every
    permission in force, where public_article_ids() probes only those it needs.
    """
    return Article.objects.public_in_bulk().values("pk")


def public_event_ids(article_ids: QuerySet | None = None) -> QuerySet:
    """
    The ids of events a public article reports, as one list the database builds once
    per query; of the articles `article_ids` lists instead, when given.
    """
    article_ids = public_article_ids() if article_ids is None else article_ids
    return ArticleEvent.objects.filter(article__in=article_ids).values("event_id")


def counted_event_ids() -> QuerySet:
    """public_event_ids() for counting every tag's or actor's links at once, as counted_article_ids()."""
    return public_event_ids(counted_article_ids())


def grouped_counts(links: QuerySet, field: str) -> dict[int, int]:
    return dict(links.order_by().values_list(field).annotate(n=Count("*")))


def count_of(queryset: QuerySet, outer_field: str) -> Coalesce:
    """A correlated COUNT(*) of `queryset` rows whose `outer_field` is the outer row, 0 if none."""
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def public_events() -> QuerySet:
    return Event.objects.public().select_related("place")


# --------------------------------------------------------------------------
# Actors
# --------------------------------------------------------------------------


def actor_article_links(article_ids: QuerySet | None = None) -> QuerySet:
    article_ids = public_article_ids() if article_ids is None else article_ids
    return ArticleActor.objects.filter(article__in=article_ids)


def actor_participations(event_ids: QuerySet | None = None) -> QuerySet:
    event_ids = public_event_ids() if event_ids is None else event_ids
    return EventParticipant.objects.filter(event__in=event_ids)


def public_publications() -> QuerySet:
    """Outlets of a public article. Outlets are few and articles many: asked per outlet."""
    return Publication.objects.filter(Exists(Article.objects.public().filter(publication=OuterRef("pk"))))


def public_actors() -> QuerySet:
    """Actors a public article mentions or who took part in a public event."""
    return Actor.objects.filter(
        Exists(actor_article_links().filter(actor=OuterRef("pk")))
        | Exists(actor_participations().filter(actor=OuterRef("pk")))
    )


def actor_counts() -> dict[int, tuple[int, int]]:
    """Per actor with anything public: (public articles, public event participations), cached per version."""

    def compute():
        # Every actor's links at once: the permissions in force read once, not per article.
        articles = grouped_counts(actor_article_links(counted_article_ids()), "actor")
        events = grouped_counts(actor_participations(counted_event_ids()), "actor")
        return {pk: (articles.get(pk, 0), events.get(pk, 0)) for pk in articles.keys() | events.keys()}

    return cache.cached("actor-counts", (), compute)


def actor_event_months(actor_id: int) -> dict[datetime.date, int]:
    """The public events an actor took part in, counted per month: one actor's links, cached per version."""
    from .timeline import month_counts
    from .visibility import public_event

    def compute():
        participations = EventParticipant.objects.filter(actor_id=actor_id).filter(public_event("event_id"))
        return month_counts(participations, "event__start_date")

    return cache.cached("actor-months", (actor_id,), compute)


def with_cached_counts(actors) -> list:
    """The actors, each with article_count and event_count from actor_counts()."""
    counts = actor_counts()
    actors = list(actors)
    for actor in actors:
        actor.article_count, actor.event_count = counts.get(actor.pk, (0, 0))
    return actors


def most_reported_actors(limit: int) -> list:
    counts = actor_counts()
    top = sorted(counts, key=lambda pk: (-counts[pk][0], pk))[:limit]
    order = {pk: i for i, pk in enumerate(top)}
    actors = Actor.objects.filter(pk__in=top).only("name", "slug", "kind")
    return sorted(with_cached_counts(actors), key=lambda actor: order[actor.pk])


def with_public_counts(actors: QuerySet) -> QuerySet:
    return actors.annotate(
        article_count=count_of(actor_article_links(), "actor"),
        event_count=count_of(actor_participations(), "actor"),
    )


# --------------------------------------------------------------------------
# Places: a place counts with everything inside it (Benghazi holds Khribish)
# --------------------------------------------------------------------------


def place_tree() -> dict[int, int | None]:
    """Every place's parent, in one query; the register of places stays small."""
    return dict(Place.objects.values_list("pk", "parent_id"))


def places_by_id() -> dict[int, Place]:
    """
    Every place, each linked to its parent, kept in process memory for the editorial
    version (any change to a place replaces it). An event's place and its ancestors are
    read here: joining them five deep made planning the event's query cost more than
    running it. What this returns is shared: read it, never change it.
    """

    def build() -> dict[int, Place]:
        places = {place.pk: place for place in Place.objects.all()}
        for place in places.values():
            place.parent = places.get(place.parent_id)
        return places

    return cache.in_process("places", "all", build)


def descendant_ids(place_id: int, tree: dict[int, int | None] | None = None) -> list[int]:
    tree = place_tree() if tree is None else tree
    children: dict[int | None, list[int]] = {}
    for pk, parent in tree.items():
        children.setdefault(parent, []).append(pk)
    found, stack = [place_id], [place_id]
    seen = {place_id}
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                found.append(child)
                stack.append(child)
    return found


def shown_place_ids() -> frozenset[int]:
    """
    Places with something public in them or below them, read once per editorial version:
    the places whose pages answer and the place filter accepts.
    """

    def compute():
        tree, found = place_tree(), set()
        for pk in public_places().values_list("pk", flat=True):
            while pk is not None and pk not in found:
                found.add(pk)
                pk = tree.get(pk)
        return sorted(found)

    return frozenset(cache.cached("shown-place-ids", (), compute))


def articles_in_places(place_ids: list[int]) -> Q:
    """Articles that mention one of the places or report an event there."""
    return Q(
        Exists(ArticlePlace.objects.filter(article=OuterRef("pk"), place__in=place_ids))
        | Exists(ArticleEvent.objects.filter(article=OuterRef("pk"), event__place__in=place_ids))
    )


def public_places() -> QuerySet:
    """Places a public article mentions or where a public event happened (not their ancestors)."""
    return Place.objects.filter(
        Exists(ArticlePlace.objects.filter(place=OuterRef("pk"), article__in=public_article_ids()))
        | Exists(Event.objects.public().filter(place=OuterRef("pk")))
    )


# --------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------


def tag_article_links(article_ids: QuerySet | None = None) -> QuerySet:
    article_ids = public_article_ids() if article_ids is None else article_ids
    return TaggedArticle.objects.filter(content_object__in=article_ids)


def tag_event_links(event_ids: QuerySet | None = None) -> QuerySet:
    event_ids = public_event_ids() if event_ids is None else event_ids
    return TaggedEvent.objects.filter(content_object__in=event_ids)


def tag_counts() -> dict[int, tuple[int, int]]:
    """
    Per tag with anything public: (public articles, public events). Two GROUP BY
    queries over every tag link, so computed once per editorial version.
    """

    def compute():
        # Every tag's links at once: the permissions in force read once, not per article.
        articles = grouped_counts(tag_article_links(counted_article_ids()), "tag")
        events = grouped_counts(tag_event_links(counted_event_ids()), "tag")
        return {pk: (articles.get(pk, 0), events.get(pk, 0)) for pk in articles.keys() | events.keys()}

    return cache.cached("tag-counts", (), compute)


def with_tag_counts(tag: Tag, counts: dict[int, tuple[int, int]] | None = None) -> Tag:
    counts = tag_counts() if counts is None else counts
    tag.article_count, tag.event_count = counts.get(tag.pk, (0, 0))
    tag.item_count = tag.article_count + tag.event_count
    return tag


@dataclass(frozen=True, slots=True)
class CloudTag:
    """A public tag as the tag list and the home page show it."""

    pk: int
    name: str
    slug: str
    article_count: int
    event_count: int

    @property
    def item_count(self) -> int:
        return self.article_count + self.event_count

    def get_absolute_url(self) -> str:
        return tag_url(get_script_prefix(), self.slug)


def tag_cloud_rows() -> list[tuple[int, str, str, int, int]]:
    """
    Every public tag by name, with its counts, as (id, name, slug, articles, events):
    what the tag list and the home page show. Cached as plain tuples: thousands of
    model instances take longer to unpickle than to query.
    """

    def compute():
        counts = tag_counts()
        tags = Tag.objects.order_by("name", "id").values_list("pk", "name", "slug")
        return [(pk, name, slug, *counts[pk]) for pk, name, slug in tags.iterator() if pk in counts]

    return cache.cached("tag-cloud", (), compute)


class TagCloud(Sequence):
    """
    tag_cloud_rows() as the tag list pages through it: its length, its peak and each
    slice are cached per editorial version on their own, so that a page reads back
    its own few hundred rows and not every tag (an archive gathers tens of thousands).
    """

    def __init__(self):
        def summary():
            rows = tag_cloud_rows()
            return len(rows), max((row[3] + row[4] for row in rows), default=1)

        self.total, self.peak = cache.cached("tag-cloud-summary", (), summary)

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self.total)
            if step == 1:
                return cache.cached("tag-cloud-slice", (start, stop), lambda: tag_cloud_rows()[start:stop])
        return tag_cloud_rows()[index]


def most_used_tags(limit: int) -> list[CloudTag]:
    """The tags on most public articles and events, the most used first."""
    top = heapq.nsmallest(limit, tag_cloud_rows(), key=lambda row: (-(row[3] + row[4]), row[1]))
    return [CloudTag(*row) for row in top]


def articles_tagged(articles: QuerySet, tags: list[tuple[int, int]]) -> QuerySet:
    """
    `articles` carrying every one of the tags, given as (tag id, about how many
    articles carry it), newest first.

    The rarest tag's links drive, read newest first from the index on (tag, dated,
    article) (articles.tag_dates): a page reads about a page's worth of links, on
    either database, whether the tag is on fifty articles or on half the archive.
    The other tags are checked by EXISTS through the (article, tag) index.
    """
    if not tags:
        return articles
    rarest, *others = [tag_id for tag_id, _ in sorted(tags, key=lambda tag: tag[1])]
    # One link per article and tag (a unique constraint): the join adds no duplicate.
    # Ordered by the link's copy of the date, which is the article's; the id is the article's.
    articles = articles.filter(tag_links__tag_id=rarest).annotate(tag_dated=F("tag_links__dated"))
    articles = articles.order_by("-tag_dated", "-id")
    for tag_id in others:
        articles = articles.filter(Exists(TaggedArticle.objects.filter(content_object=OuterRef("pk"), tag_id=tag_id)))
    return articles


def public_tags() -> QuerySet:
    """Tags on at least one public article or public event, with both counts."""
    return (
        Tag.objects.annotate(
            article_count=count_of(tag_article_links(), "tag"),
            event_count=count_of(tag_event_links(), "tag"),
        )
        .annotate(item_count=F("article_count") + F("event_count"))
        .filter(item_count__gt=0)
    )


# --------------------------------------------------------------------------
# What readers saw and no longer may: their pages answer 410 Gone
# --------------------------------------------------------------------------


def once_public_article_ids() -> QuerySet:
    return Article.objects.once_public().values("pk")


def event_was_public(event_id: int) -> bool:
    """Whether an event that is not public now was: an article readers saw (once_public) reports it."""
    return ArticleEvent.objects.filter(event_id=event_id, article__in=once_public_article_ids()).exists()


def actor_was_public(actor_id: int) -> bool:
    """Whether an actor with nothing public now had: named by an article readers saw, or in an event it reported."""
    once = once_public_article_ids()
    return (
        ArticleActor.objects.filter(actor_id=actor_id, article__in=once).exists()
        or EventParticipant.objects.filter(actor_id=actor_id, event__in=public_event_ids(once)).exists()
    )


def places_were_public(place_ids: list[int]) -> bool:
    """Whether places with nothing public in them now had: named by an article readers saw, or an event it reported."""
    once = once_public_article_ids()
    return (
        ArticlePlace.objects.filter(place__in=place_ids, article__in=once).exists()
        or Event.objects.filter(place__in=place_ids, pk__in=public_event_ids(once)).exists()
    )
