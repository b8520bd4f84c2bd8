"""
The read-only JSON API: what the reader site shows, as data.

Lists start from the same public querysets and take the same filters (the
FilterSets of articles.filters) as the pages of the site, so a query gives the
same items here as there. A filter value that names nothing public is a 400
naming the parameter; a page past the end is a 404.
"""

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import status, viewsets
from rest_framework.response import Response

from articles import public, relations, visibility
from articles.filters import MAX_TAGS, MAX_VALUE_LENGTH, ArticleFilter, EventFilter, RegisterFilter, TagsFilter
from articles.gazetteer import PlaceIndex, public_place_ids
from articles.models import Article, ArticleEvent, Status
from register.models import Actor, ActorAlias, Affiliation, Event, EventParticipant, Place, PlaceAlias

from . import serializers


class ArchiveFilterExtension(DjangoFilterExtension):
    """
    The schema of the site's own filter types, which name items by slug or
    name and so have no model field to be read from: a tag list to repeat,
    a register value of a bounded length.
    """

    target_class = "articles.api.backends.ArchiveFilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        if isinstance(filter_field, TagsFilter):
            item = {**build_basic_type(OpenApiTypes.STR), "maxLength": MAX_VALUE_LENGTH}
            schema = {**build_array_type(item), "maxItems": MAX_TAGS}
            description = "A tag by slug or name; repeat the parameter for several tags, all of which must match."
            return [self.parameter(field_name, schema, description, explode=True, style="form")]
        if isinstance(filter_field, RegisterFilter):
            schema = {**build_basic_type(OpenApiTypes.STR), "maxLength": MAX_VALUE_LENGTH}
            description = f"{filter_field.label}: its slug, or for actors and places any spelling of the name."
            return [self.parameter(field_name, schema, description)]
        return super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)

    def parameter(self, name, schema, description, **kwargs):
        return build_parameter_type(
            name=name, location=OpenApiParameter.QUERY, schema=schema, description=description, **kwargs
        )


# --------------------------------------------------------------------------
# Querysets: every relation the serializers read, prefetched
# --------------------------------------------------------------------------


def articles_for_api(articles, *, detail=False):
    """
    The articles' own columns; their tags, actors, places, events, provenance and
    permissions are read for the page shown, in one query (articles.relations).
    """
    articles = articles.select_related("publication")
    return articles if detail else articles.defer("body", "editor_notes")


def events_for_api(events):
    # Each of the page's links is asked whether its article is public: an IN over every public
    # article is what SQLite would build first, and it grows with the archive.
    sources = (
        ArticleEvent.objects.filter(visibility.public_article("article_id"))
        .with_readable_excerpts()
        .select_related("article__publication")
        .only(
            "event_id",
            "excerpt",
            "paragraph",
            "article__title",
            "article__slug",
            "article__original_date",
            "article__original_date_precision",
            "article__publication__name",
        )
        .order_by("article__dated", "article__id")
    )
    # The parent only when it is public: read for the page's few parents, each asked on its own
    # (an EXISTS over every public event per row is what PostgreSQL would hash first).
    parents = visibility.reported_events().only("title", "slug", "event_type", "start_date")
    return (
        events.annotate(readable_notes=visibility.readable_notes())
        .select_related("place")
        .prefetch_related(
            Prefetch("parent", parents),
            "tags",
            Prefetch("participants", EventParticipant.objects.select_related("actor").order_by("side", "role", "id")),
            Prefetch("article_links", sources, to_attr="public_sources"),
        )
    )


# --------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------


class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"
    http_method_names = ["get", "head", "options"]
    detail_serializer_class = None

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.serializer_class

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.setdefault("places", getattr(self, "place_index", None) or PlaceIndex())
        return context

    def gone(self, slug: str) -> dict | None:
        """What a 410 says of an item readers saw once and no longer may; None for one never public (a 404)."""
        return None

    def retrieve(self, request, *args, **kwargs):
        try:
            return super().retrieve(request, *args, **kwargs)
        except Http404:
            body = self.gone(kwargs["slug"])
            if body is None:
                raise
            return Response(body, status=status.HTTP_410_GONE)


def _register_gone(model, slug: str, was_public, detail: str) -> dict | None:
    item = model.objects.filter(slug=slug).first()
    return {"detail": detail, "slug": item.slug} if item is not None and was_public(item) else None


@extend_schema_view(
    list=extend_schema(summary="Public articles, newest first, filtered as on /articles/"),
    retrieve=extend_schema(
        summary="One public article with its text as permitted",
        responses={200: serializers.ArticleDetailSerializer, 404: OpenApiTypes.OBJECT, 410: OpenApiTypes.OBJECT},
    ),
)
class ArticleViewSet(PublicViewSet):
    serializer_class = serializers.ArticleSerializer
    detail_serializer_class = serializers.ArticleDetailSerializer
    filterset_class = ArticleFilter

    def get_queryset(self):
        return articles_for_api(Article.objects.public(), detail=self.action == "retrieve")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else relations.load(list(page))

    def get_object(self):
        return relations.load([super().get_object()])[0]

    def gone(self, slug):
        # As on the site, a withdrawn or lapsed article is gone, not unknown; nothing of its text remains.
        article = Article.objects.once_public().filter(slug=slug).only("slug", "status", "withdrawn_at").first()
        if article is None:
            return None
        if article.status == Status.WITHDRAWN:
            return {
                "detail": "This article has been withdrawn.",
                "slug": article.slug,
                "withdrawn_at": article.withdrawn_at,
            }
        lapse = article.lapse()
        reason = "was revoked" if lapse.reason == "revoked" else "expired"
        return {
            "detail": f"This article is no longer shown: the permission to republish it {reason}.",
            "slug": article.slug,
            "not_shown_since": lapse.since,
        }


@extend_schema_view(
    list=extend_schema(summary="Public events, latest first, filtered as on /events/"),
    retrieve=extend_schema(summary="One public event with its participants, place and sources"),
)
class EventViewSet(PublicViewSet):
    serializer_class = serializers.EventSerializer
    filterset_class = EventFilter

    def get_queryset(self):
        return events_for_api(Event.objects.public()).order_by("-start_date", "-id")

    def gone(self, slug):
        detail = "This event is no longer shown: the articles that reported it are no longer in the public archive."
        return _register_gone(Event, slug, lambda event: public.event_was_public(event.pk), detail)


@extend_schema_view(
    list=extend_schema(summary="Actors named by public articles or taking part in public events"),
    retrieve=extend_schema(summary="One actor with aliases and affiliations"),
)
class ActorViewSet(PublicViewSet):
    serializer_class = serializers.ActorSerializer
    detail_serializer_class = serializers.ActorDetailSerializer

    def get_queryset(self):
        actors = public.with_public_counts(public.public_actors()).prefetch_related(
            Prefetch("aliases", ActorAlias.objects.order_by("name"))
        )
        if self.action == "retrieve":
            visible = public.public_actors()
            actors = actors.prefetch_related(
                Prefetch(
                    "affiliations",
                    Affiliation.objects.filter(organisation__in=visible).select_related("organisation"),
                    to_attr="public_affiliations",
                ),
                Prefetch(
                    "members",
                    Affiliation.objects.filter(actor__in=visible).select_related("actor"),
                    to_attr="public_members",
                ),
            )
        return actors.order_by("name", "id")

    def gone(self, slug):
        detail = "This actor is no longer shown: what named it is no longer in the public archive."
        return _register_gone(Actor, slug, lambda actor: public.actor_was_public(actor.pk), detail)


@extend_schema_view(
    list=extend_schema(summary="Places with public articles or events in them or below them"),
    retrieve=extend_schema(summary="One place with the places it lies in"),
)
class PlaceViewSet(PublicViewSet):
    serializer_class = serializers.PlaceSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Building the schema (also at `manage.py check`) must not touch the database.
            return Place.objects.none()
        self.place_index = PlaceIndex()
        return (
            Place.objects.filter(pk__in=public_place_ids(self.place_index))
            .prefetch_related(Prefetch("aliases", PlaceAlias.objects.order_by("name")))
            .order_by("name", "id")
        )

    def gone(self, slug):
        detail = (
            "This place is no longer shown: what named it, or places within it, is no longer in the public archive."
        )
        return _register_gone(
            Place, slug, lambda place: public.places_were_public(public.descendant_ids(place.pk)), detail
        )


@extend_schema_view(
    list=extend_schema(summary="Tags on public articles or events, with counts"),
    retrieve=extend_schema(summary="One tag with its counts"),
)
class TagViewSet(PublicViewSet):
    serializer_class = serializers.TagSerializer

    def get_queryset(self):
        return public.public_tags().order_by("name", "id")


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from this server's own static files, its start-up script a separate request (CSP)."""

    template_name = "articles/api_docs.html"
    # The page only: OPTIONS would describe it through a template-only renderer that has no template for that.
    http_method_names = ["get", "head"]
