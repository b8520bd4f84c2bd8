"""
/sitemap.xml: an index of one sitemap per kind of public page, each paginated
by Django at 50,000 addresses, so a large archive stays crawlable.
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef
from django.urls import reverse

from register.models import Event, Place, Tag

from . import public
from .gazetteer import public_place_ids
from .models import Article


class ListPagesSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return [
            "articles:home",
            "articles:list",
            "articles:event-list",
            "articles:actor-list",
            "articles:tag-list",
            "exports:codebook",
        ]

    def location(self, name):
        return reverse(name)


class ArticleSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Article.objects.public().only("slug", "updated_at").order_by("-dated", "-id")

    def lastmod(self, article):
        return article.updated_at


class EventSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Event.objects.public().only("slug", "updated_at").order_by("-start_date", "-id")

    def lastmod(self, event):
        return event.updated_at


class ActorSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return public.public_actors().only("slug", "updated_at").order_by("name", "id")

    def lastmod(self, actor):
        return actor.updated_at


class PlaceSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        # A place page lists what lies inside it too, so the places that hold public ones are pages as well.
        return Place.objects.filter(pk__in=public_place_ids()).only("slug", "updated_at").order_by("name", "id")

    def lastmod(self, place):
        return place.updated_at


class TagSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        used = Exists(public.tag_article_links().filter(tag=OuterRef("pk"))) | Exists(
            public.tag_event_links().filter(tag=OuterRef("pk"))
        )
        return Tag.objects.filter(used).only("slug").order_by("name", "id")


SITEMAPS = {
    "pages": ListPagesSitemap,
    "articles": ArticleSitemap,
    "events": EventSitemap,
    "actors": ActorSitemap,
    "places": PlaceSitemap,
    "tags": TagSitemap,
}
