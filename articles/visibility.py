"""
What readers may see, asked of one row at a time.

The same rule as articles.public (built on Article.objects.public()), in the
shape a page about a few items needs: for each actor, place, tag or event, an
EXISTS over its links that looks up each linked article by its id and stops at
the first public one. articles.public's shapes gather every public article
first, which suits lists over the whole archive and costs a pass over it for
a single item.
"""

from django.db.models import Exists, OuterRef, QuerySet

from register.models import EventParticipant

from .models import ArticleActor, ArticleEvent, ArticlePlace


def public_article(field: str) -> Exists:
    from .models import Article

    return Exists(Article.objects.public().filter(pk=OuterRef(field)))


def reported_events(events: QuerySet | None = None) -> QuerySet:
    """Event.objects.public(), asking per event whether one of its reports is public."""
    from register.models import Event

    reports = ArticleEvent.objects.filter(event=OuterRef("pk")).filter(public_article("article_id"))
    return (Event.objects.all() if events is None else events).filter(Exists(reports))


def public_event(field: str) -> Exists:
    return Exists(reported_events().filter(pk=OuterRef(field)))


def visible_actors() -> QuerySet:
    from register.models import Actor

    mentions = ArticleActor.objects.filter(actor=OuterRef("pk")).filter(public_article("article_id"))
    participations = EventParticipant.objects.filter(actor=OuterRef("pk")).filter(public_event("event_id"))
    return Actor.objects.filter(Exists(mentions) | Exists(participations))


def visible_places() -> QuerySet:
    from register.models import Place

    mentions = ArticlePlace.objects.filter(place=OuterRef("pk")).filter(public_article("article_id"))
    return Place.objects.filter(Exists(mentions) | Exists(reported_events().filter(place=OuterRef("pk"))))


def visible_tags() -> QuerySet:
    from register.models import Tag, TaggedEvent

    from .models import TaggedArticle

    articles = TaggedArticle.objects.filter(tag=OuterRef("pk")).filter(public_article("content_object_id"))
    events = TaggedEvent.objects.filter(tag=OuterRef("pk")).filter(public_event("content_object_id"))
    return Tag.objects.filter(Exists(articles) | Exists(events))
