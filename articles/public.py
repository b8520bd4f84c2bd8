"""
What readers may see of the register, derived from Article.objects.public().

An actor, place, tag or event is shown only while something public refers to
it, so a name that only a draft mentions never reaches the public site. Every
query here starts from Article.objects.public() or Event.objects.public().
"""

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from register.models import Actor, Event, EventParticipant, Place, Tag, TaggedEvent

from .models import Article, ArticleActor, ArticleEvent, ArticlePlace, TaggedArticle


def public_article_ids() -> QuerySet:
    return Article.objects.public().values("pk")


def public_event_ids() -> QuerySet:
    return Event.objects.public().values("pk")


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


def actor_article_links() -> QuerySet:
    return ArticleActor.objects.filter(article__in=public_article_ids())


def actor_participations() -> QuerySet:
    return EventParticipant.objects.filter(event__in=public_event_ids())


def public_actors() -> QuerySet:
    """Actors a public article mentions or who took part in a public event."""
    return Actor.objects.filter(
        Exists(actor_article_links().filter(actor=OuterRef("pk")))
        | Exists(actor_participations().filter(actor=OuterRef("pk")))
    )


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


def place_has_public_content(place_ids: list[int]) -> bool:
    return (
        ArticlePlace.objects.filter(place__in=place_ids, article__in=public_article_ids()).exists()
        or Event.objects.public().filter(place__in=place_ids).exists()
    )


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


def tag_article_links() -> QuerySet:
    return TaggedArticle.objects.filter(content_object__in=public_article_ids())


def tag_event_links() -> QuerySet:
    return TaggedEvent.objects.filter(content_object__in=public_event_ids())


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
