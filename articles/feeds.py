"""
Atom feeds: the latest articles, and the articles of one tag or one actor, and
the events of one type. Like every public path they start from
Article.objects.public() and the public register helpers.
"""

from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from register.models import EventType

from . import converters, public  # noqa: F401 (converters registers "uslug")
from .models import Article, ArticleActor, TaggedArticle
from .templatetags.archive import precise_date

app_name = "feeds"

FEED_SIZE = 30
SITE_NAME = "Libya reporting archive"


def latest_articles():
    """Public articles, the most recently published here first."""
    return (
        Article.objects.public()
        .select_related("publication")
        .prefetch_related("tags")
        .defer("body", "editor_notes")
        .order_by("-published_at", "-id")
    )


class ArticleFeed(Feed):
    feed_type = Atom1Feed
    title = f"{SITE_NAME}: latest articles"
    subtitle = "Reporting on the conflict in Libya, republished with its rights holders' permission."

    def link(self):
        return reverse("articles:list")

    def articles(self, obj):
        return latest_articles()

    def items(self, obj=None):
        return self.articles(obj)[:FEED_SIZE]

    def item_title(self, article):
        return article.title

    def item_description(self, article):
        # Atom's summary is typed html, so readers render it: the plain text is escaped.
        return escape(article.standfirst)

    def item_author_name(self, article):
        return article.byline or (article.publication.name if article.publication_id else None)

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return article.updated_at

    def item_categories(self, article):
        return [tag.name for tag in article.tags.all()]


class TagFeed(ArticleFeed):
    def get_object(self, request, slug):
        return get_object_or_404(public.public_tags(), slug=slug)

    def title(self, tag):
        return f"{SITE_NAME}: articles tagged “{tag.name}”"

    def link(self, tag):
        return tag.get_absolute_url()

    def articles(self, tag):
        return latest_articles().filter(Exists(TaggedArticle.objects.filter(content_object=OuterRef("pk"), tag=tag)))


class ActorFeed(ArticleFeed):
    def get_object(self, request, slug):
        return get_object_or_404(public.public_actors(), slug=slug)

    def title(self, actor):
        return f"{SITE_NAME}: articles naming {actor.name}"

    def link(self, actor):
        return actor.get_absolute_url()

    def articles(self, actor):
        return latest_articles().filter(Exists(ArticleActor.objects.filter(article=OuterRef("pk"), actor=actor)))


class EventTypeFeed(Feed):
    """Events of one ACLED type, the latest first by the date they happened."""

    feed_type = Atom1Feed

    def get_object(self, request, event_type):
        if event_type not in EventType.values:
            raise Http404("No such event type.")
        return EventType(event_type)

    def title(self, event_type):
        return f"{SITE_NAME}: {event_type.label}"

    def link(self, event_type):
        return reverse("articles:event-list") + f"?type={event_type.value}"

    def items(self, event_type):
        return (
            public.public_events()
            .filter(event_type=event_type)
            .prefetch_related("tags")
            .order_by("-start_date", "-id")[:FEED_SIZE]
        )

    def item_title(self, event):
        return event.title

    def item_description(self, event):
        when = precise_date(event.start_date, event.date_precision, event.end_date)
        where = f", {event.place.name}" if event.place_id else ""
        summary = f"{when}{where}. {event.get_sub_event_type_display()}. Fatalities: {event.fatalities_display}."
        return escape(f"{summary} {event.description}".strip())

    def item_pubdate(self, event):
        return event.created_at

    def item_updateddate(self, event):
        return event.updated_at

    def item_categories(self, event):
        return [tag.name for tag in event.tags.all()]


urlpatterns = [
    path("articles/", ArticleFeed(), name="articles"),
    path("tags/<uslug:slug>/", TagFeed(), name="tag"),
    path("actors/<uslug:slug>/", ActorFeed(), name="actor"),
    path("events/<uslug:event_type>/", EventTypeFeed(), name="event-type"),
]
