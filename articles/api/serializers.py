"""
What the API says about each public item.

Serializers read only what the views prefetch: a list page costs the same
number of queries whatever its length. Links to other items carry the slug,
the address of the reader's page and the address in the API.
"""

import datetime
from functools import cached_property

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from articles.models import Article, ArticleEvent, ProvenanceRecord, RepublicationPermission
from register.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EventParticipant,
    Place,
    PlaceAlias,
    Tag,
    slug_url,
)


def absolute(request, path: str) -> str:
    """
    request.build_absolute_uri(path) for a path reverse() gave (already an URI: slug_url,
    tag_url), with the scheme and host worked out once per request: a list page holds
    hundreds of links.
    """
    base = getattr(request, "_absolute_base", None)
    if base is None:
        base = request._absolute_base = request.build_absolute_uri("/").removesuffix("/")
    return base + path


@extend_schema_field(OpenApiTypes.URI)
class PageUrlField(serializers.Field):
    """The absolute address of the item's page on the reader site."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        url = value.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


def api_url(view_name: str) -> serializers.HyperlinkedIdentityField:
    return serializers.HyperlinkedIdentityField(view_name=f"api:{view_name}", lookup_field="slug")


def current_permission(article: Article) -> RepublicationPermission | None:
    """
    Article.current_permission(), made over the valid permissions the view has
    loaded with the article's other links (articles.relations) when it has.
    """
    links = getattr(article, "links", None)
    return links.permission if links is not None else article.current_permission()


# --------------------------------------------------------------------------
# Links between items
# --------------------------------------------------------------------------


class LinkSerializer(serializers.ModelSerializer):
    """
    A link to an item, built in one step: its plain columns as they are, dates as
    ISO 8601, and the two addresses from the remembered slug routes. A list of
    articles carries about fifteen links each, and the generic path (a field
    object and a URL resolution per value) would be most of the page's time. A subclass
    takes the generic path unless it names its own api_view; tests hold the two equal.
    """

    url = PageUrlField()
    api_view = ""

    def to_representation(self, instance):
        request = self.context.get("request")
        if request is None or type(self).__dict__.get("api_view") is None:
            return super().to_representation(instance)
        data = {}
        for name in self.Meta.fields:
            if name == "url":
                data[name] = absolute(request, instance.get_absolute_url())
            elif name == "api_url":
                data[name] = absolute(request, slug_url(self.api_view, instance.slug))
            else:
                value = getattr(instance, name)
                data[name] = value.isoformat() if isinstance(value, datetime.date) else value
        return data


class TagLinkSerializer(LinkSerializer):
    api_url = api_url("tag-detail")
    api_view = "api:tag-detail"

    class Meta:
        model = Tag
        fields = ["name", "slug", "url", "api_url"]


class ActorLinkSerializer(LinkSerializer):
    api_url = api_url("actor-detail")
    api_view = "api:actor-detail"

    class Meta:
        model = Actor
        fields = ["slug", "name", "kind", "url", "api_url"]


class PlaceLinkSerializer(LinkSerializer):
    api_url = api_url("place-detail")
    api_view = "api:place-detail"

    class Meta:
        model = Place
        fields = ["slug", "name", "kind", "url", "api_url"]


class EventLinkSerializer(LinkSerializer):
    api_url = api_url("event-detail")
    api_view = "api:event-detail"

    class Meta:
        model = Event
        fields = ["slug", "title", "event_type", "start_date", "url", "api_url"]


class ArticleLinkSerializer(serializers.ModelSerializer):
    url = PageUrlField()
    api_url = api_url("article-detail")
    publication = serializers.CharField(source="publication.name", default=None, read_only=True)

    class Meta:
        model = Article
        fields = ["slug", "title", "publication", "original_date", "original_date_precision", "url", "api_url"]


class PlaceInHierarchySerializer(PlaceLinkSerializer):
    """A place with the chain of places it lies in, the widest first, the place itself last."""

    hierarchy = serializers.SerializerMethodField()

    class Meta(PlaceLinkSerializer.Meta):
        fields = [*PlaceLinkSerializer.Meta.fields, "latitude", "longitude", "geo_precision", "hierarchy"]

    @extend_schema_field(PlaceLinkSerializer(many=True))
    def get_hierarchy(self, place):
        chain = self.context["places"].chain(place.pk)
        return PlaceLinkSerializer(chain, many=True, context=self.context).data


# --------------------------------------------------------------------------
# Articles
# --------------------------------------------------------------------------


class PublicationSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    url = serializers.URLField(help_text="The outlet's own site.")


class ProvenanceRecordSerializer(serializers.ModelSerializer):
    publication = serializers.CharField(source="publication.name", default=None, read_only=True)

    class Meta:
        model = ProvenanceRecord
        fields = [
            "position",
            "activity",
            "agent",
            "publication",
            "url",
            "date",
            "date_precision",
            "file_name",
            "sha256",
            "note",
            "recorded_at",
        ]


class PermissionSerializer(serializers.ModelSerializer):
    standing = serializers.SerializerMethodField(help_text="True when a standing agreement covers the publication.")

    class Meta:
        model = RepublicationPermission
        fields = ["attribution", "rights_holder", "granted_on", "expires_on", "scope", "standing"]

    def get_standing(self, permission) -> bool:
        return permission.article_id is None


class ReportedEventSerializer(serializers.ModelSerializer):
    """An event the article reports, with the passage that reports it."""

    event = EventLinkSerializer()
    excerpt = serializers.CharField(
        source="readable_excerpt", help_text="The passage; empty where it lies past the excerpt permitted."
    )

    class Meta:
        model = ArticleEvent
        fields = ["event", "excerpt", "paragraph"]


class ArticleSerializer(serializers.ModelSerializer):
    url = PageUrlField()
    api_url = api_url("article-detail")
    publication = PublicationSerializer(allow_null=True)
    tags = TagLinkSerializer(many=True, source="links.tags")
    permission = serializers.SerializerMethodField()
    provenance = ProvenanceRecordSerializer(many=True, source="links.provenance")
    actors = ActorLinkSerializer(many=True, source="links.actors")
    places = PlaceLinkSerializer(many=True, source="links.places")
    events = ReportedEventSerializer(many=True, source="links.events")

    class Meta:
        model = Article
        fields = [
            "slug",
            "title",
            "url",
            "api_url",
            "standfirst",
            "byline",
            "language",
            "publication",
            "original_title",
            "original_url",
            "original_date",
            "original_date_precision",
            "period_start",
            "period_end",
            "dated",
            "published_at",
            "permission",
            "provenance",
            "tags",
            "actors",
            "places",
            "events",
        ]

    @extend_schema_field(PermissionSerializer(allow_null=True))
    def get_permission(self, article):
        permission = current_permission(article)
        return self._permission_serializer.to_representation(permission) if permission else None

    @cached_property
    def _permission_serializer(self) -> PermissionSerializer:
        """One for the whole list: a serializer builds its fields anew for every instance made."""
        return PermissionSerializer(context=self.context)


class ArticleDetailSerializer(ArticleSerializer):
    body = serializers.SerializerMethodField(
        help_text="The text, or its first paragraph where only an excerpt is permitted."
    )
    excerpt_only = serializers.SerializerMethodField()
    body_sha256 = serializers.CharField(read_only=True, help_text="SHA-256 of the whole stored text.")

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "body_format", "excerpt_only", "body", "body_sha256"]

    def get_excerpt_only(self, article) -> bool:
        return article.is_excerpt_only()

    def get_body(self, article) -> str:
        return article.readable_body()


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


class ParticipantSerializer(serializers.ModelSerializer):
    actor = ActorLinkSerializer()

    class Meta:
        model = EventParticipant
        fields = ["actor", "side", "role"]


class SourceSerializer(serializers.ModelSerializer):
    """A public article reporting the event, with its passage."""

    article = ArticleLinkSerializer()
    excerpt = serializers.CharField(
        source="readable_excerpt", help_text="The passage; empty where it lies past the excerpt permitted."
    )

    class Meta:
        model = ArticleEvent
        fields = ["article", "excerpt", "paragraph"]


class EventSerializer(serializers.ModelSerializer):
    url = PageUrlField()
    api_url = api_url("event-detail")
    event_type_label = serializers.CharField(source="get_event_type_display", read_only=True)
    sub_event_type_label = serializers.CharField(source="get_sub_event_type_display", read_only=True)
    place = PlaceInHierarchySerializer(allow_null=True)
    participants = ParticipantSerializer(many=True, source="participants.all")
    parent = serializers.SerializerMethodField(help_text="The wider event this one is part of, when it is public.")
    tags = TagLinkSerializer(many=True, source="tags.all")
    sources = SourceSerializer(many=True, source="public_sources")
    notes = serializers.CharField(
        source="readable_notes",
        help_text="How the figures and dates were read from the sources; empty while one of them is not public.",
    )

    class Meta:
        model = Event
        fields = [
            "slug",
            "title",
            "url",
            "api_url",
            "event_type",
            "event_type_label",
            "sub_event_type",
            "sub_event_type_label",
            "start_date",
            "end_date",
            "date_precision",
            "place",
            "participants",
            "fatalities_low",
            "fatalities_high",
            "verification",
            "parent",
            "description",
            "notes",
            "tags",
            "sources",
        ]

    @extend_schema_field(EventLinkSerializer(allow_null=True))
    def get_parent(self, event):
        if event.parent is None:  # none, or not public (the view reads only public parents)
            return None
        return EventLinkSerializer(event.parent, context=self.context).data


# --------------------------------------------------------------------------
# Actors, places, tags
# --------------------------------------------------------------------------


class ActorAliasSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActorAlias
        fields = ["name", "language", "note"]


class ActorSerializer(serializers.ModelSerializer):
    url = PageUrlField()
    api_url = api_url("actor-detail")
    aliases = ActorAliasSerializer(many=True, source="aliases.all")
    article_count = serializers.IntegerField(read_only=True, help_text="Public articles that mention the actor.")
    event_count = serializers.IntegerField(read_only=True, help_text="Public events the actor took part in.")

    class Meta:
        model = Actor
        fields = [
            "slug",
            "name",
            "url",
            "api_url",
            "kind",
            "aliases",
            "description",
            "naming_note",
            "external_ids",
            "article_count",
            "event_count",
        ]


class AffiliationSerializer(serializers.ModelSerializer):
    organisation = ActorLinkSerializer()

    class Meta:
        model = Affiliation
        fields = ["organisation", "role", "start_date", "end_date", "date_precision", "note"]


class MemberSerializer(serializers.ModelSerializer):
    actor = ActorLinkSerializer()

    class Meta:
        model = Affiliation
        fields = ["actor", "role", "start_date", "end_date", "date_precision", "note"]


class ActorDetailSerializer(ActorSerializer):
    affiliations = AffiliationSerializer(many=True, source="public_affiliations")
    members = MemberSerializer(many=True, source="public_members")

    class Meta(ActorSerializer.Meta):
        fields = [*ActorSerializer.Meta.fields, "affiliations", "members"]


class PlaceAliasSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaceAlias
        fields = ["name", "language"]


class PlaceSerializer(PlaceInHierarchySerializer):
    aliases = PlaceAliasSerializer(many=True, source="aliases.all")

    class Meta(PlaceInHierarchySerializer.Meta):
        fields = [*PlaceInHierarchySerializer.Meta.fields, "aliases", "description"]


class TagSerializer(TagLinkSerializer):
    article_count = serializers.IntegerField(read_only=True)
    event_count = serializers.IntegerField(read_only=True)

    class Meta(TagLinkSerializer.Meta):
        fields = [*TagLinkSerializer.Meta.fields, "article_count", "event_count"]
