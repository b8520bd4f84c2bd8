"""
What readers may see, asked of one row at a time.

The same rule as articles.public (built on Article.objects.public()), in the
shape a page about a few items needs: for each place or event, an
EXISTS over its links that looks up each linked article by its id and stops at
the first public one. articles.public's shapes gather every public article
first, which suits lists over the whole archive and costs a pass over it for
a single item.

Each is built once per editorial version and database kind (cache.built_once),
for building four levels of EXISTS costs milliseconds each time.
"""

from django.db import connections, router
from django.db.models import Case, Exists, F, OuterRef, QuerySet, TextField, Value, When

from . import cache
from .models import ArticleEvent, ArticlePlace


def _built_once(name: str, model, build) -> QuerySet:
    return cache.built_once(name, connections[router.db_for_read(model)].vendor, build)


def public_article(field: str) -> Exists:
    from .models import Article

    return Exists(Article.objects.public().filter(pk=OuterRef(field)))


def reported_events() -> QuerySet:
    """Event.objects.public(), asking per event whether one of its reports is public."""
    from register.models import Event

    def build():
        reports = ArticleEvent.objects.filter(event=OuterRef("pk")).filter(public_article("article_id"))
        return Event.objects.filter(Exists(reports))

    return _built_once("reported-events", Event, build)


def public_event(field: str) -> Exists:
    """Whether the event `field` names is public: one of its reports is (reported_events() without the event row)."""
    return Exists(ArticleEvent.objects.filter(event=OuterRef(field)).filter(public_article("article_id")))


def readable_notes() -> Case:
    """
    An event's notes while every article reporting it is public, else none: the notes
    say how figures were read from the sources, and may quote one readers cannot see.
    """
    unpublished = ArticleEvent.objects.filter(event=OuterRef("pk")).filter(~public_article("article_id"))
    return Case(When(Exists(unpublished), then=Value("")), default=F("notes"), output_field=TextField())


def visible_places() -> QuerySet:
    from register.models import Place

    def build():
        mentions = ArticlePlace.objects.filter(place=OuterRef("pk")).filter(public_article("article_id"))
        return Place.objects.filter(Exists(mentions) | Exists(reported_events().filter(place=OuterRef("pk"))))

    return _built_once("visible-places", Place, build)


def visible_place_ids() -> frozenset[int]:
    """
    The ids of visible_places(), read once per editorial version: the register of
    places stays small, and a page that asks about a few of them (search) then
    compiles no nested EXISTS.
    """
    return frozenset(cache.cached("visible-place-ids", (), lambda: list(visible_places().values_list("pk", flat=True))))
