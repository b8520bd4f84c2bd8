"""
What a page shows about each of a few articles, read in one query.

An article's page and the API show, per article, its tags, actors, places,
the events it reports (with their passages), its provenance and the
permissions in force for it. prefetch_related reads each of those with a
query of its own; load() reads them all with one UNION ALL, each row naming
its kind, the article (or publication) it belongs to and the linked row's
columns as a JSON object, and rebuilds them as model instances. The number of
queries is then the same whatever a page shows and however long it is.

The permissions are those RepublicationPermission.objects.valid() selects,
and the one shown is chosen as Article.current_permission() chooses it.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.db import router
from django.db.models import DateField, DateTimeField, F, Model, QuerySet, Value
from django.db.models.functions import JSONObject
from django.utils import timezone

from register.models import Actor, Event, Place, Tag

from .models import (
    Article,
    ArticleActor,
    ArticleEvent,
    ArticlePlace,
    PermissionScope,
    ProvenanceRecord,
    Publication,
    RepublicationPermission,
    TaggedArticle,
)

PERMISSION_FIELDS = ("id", "article_id", "publication_id", "attribution", "rights_holder", "granted_on")
PERMISSION_FIELDS += ("expires_on", "scope")
PROVENANCE_FIELDS = ("id", "position", "activity", "agent", "publication_id", "url", "date", "date_precision")
PROVENANCE_FIELDS += ("file_name", "sha256", "note", "recorded_at")
EVENT_FIELDS = ("id", "title", "slug", "event_type", "sub_event_type", "start_date", "end_date", "date_precision")
EVENT_FIELDS += ("place_id",)


@dataclass
class Links:
    """One article's links, each list in the order its page shows it."""

    tags: list = field(default_factory=list)
    actors: list = field(default_factory=list)
    places: list = field(default_factory=list)
    events: list = field(default_factory=list)  # ArticleEvent rows, each with .event (and .event.place)
    provenance: list = field(default_factory=list)
    permissions: list = field(default_factory=list)  # the article's own valid permissions, then standing ones

    @property
    def permission(self) -> RepublicationPermission | None:
        """The permission readers are shown: the article's own before a standing one, full text first, newest."""
        ranked = sorted(
            self.permissions,
            key=lambda p: (
                p.article_id is None,
                p.scope != PermissionScope.FULL_TEXT,
                -p.granted_on.toordinal(),
                -p.pk,
            ),
        )
        return ranked[0] if ranked else None


def _json(**columns) -> JSONObject:
    return JSONObject(**{name: F(path) for name, path in columns.items()})


def _rows(kind: str, links: QuerySet, owner: str, data: JSONObject) -> QuerySet:
    return (
        links.order_by()
        .annotate(link_kind=Value(kind), link_owner=F(owner), link_data=data)
        .values_list("link_kind", "link_owner", "link_data")
    )


def _parts(article_ids: list[int], publication_ids: list[int]) -> list[QuerySet]:
    valid = RepublicationPermission.objects.valid()
    permission = _json(**{name: name for name in PERMISSION_FIELDS})
    parts = [
        _rows(
            "tag",
            TaggedArticle.objects.filter(content_object_id__in=article_ids),
            "content_object_id",
            _json(id="tag_id", name="tag__name", slug="tag__slug"),
        ),
        _rows(
            "actor",
            ArticleActor.objects.filter(article_id__in=article_ids),
            "article_id",
            _json(id="actor_id", name="actor__name", slug="actor__slug", kind="actor__kind"),
        ),
        _rows(
            "place",
            ArticlePlace.objects.filter(article_id__in=article_ids),
            "article_id",
            _json(id="place_id", name="place__name", slug="place__slug", kind="place__kind"),
        ),
        _rows(
            "event",
            ArticleEvent.objects.filter(article_id__in=article_ids),
            "article_id",
            _json(
                link_id="id",
                excerpt="excerpt",
                paragraph="paragraph",
                place_name="event__place__name",
                place_slug="event__place__slug",
                **{name: f"event__{name}" for name in EVENT_FIELDS},
            ),
        ),
        _rows(
            "provenance",
            ProvenanceRecord.objects.filter(article_id__in=article_ids),
            "article_id",
            _json(publication_name="publication__name", **{name: name for name in PROVENANCE_FIELDS}),
        ),
        _rows("permission", valid.filter(article_id__in=article_ids), "article_id", permission),
    ]
    if publication_ids:
        parts.append(_rows("standing", valid.filter(publication_id__in=publication_ids), "publication_id", permission))
    return parts


def _instance(model: type[Model], db: str, data: dict, names) -> Model:
    """
    A model instance from JSON values, its other fields deferred. Dates arrive as
    text on SQLite, and date-times there without their zone (UTC).
    """
    present = {}
    for name in names:
        value = data.get(name)
        model_field = model._meta.get_field(name.removesuffix("_id"))
        if value is not None and isinstance(model_field, DateField | DateTimeField) and isinstance(value, str):
            value = model_field.to_python(value)
            if isinstance(value, datetime.datetime) and timezone.is_naive(value):
                value = timezone.make_aware(value, datetime.UTC)
        present[model_field.attname] = value
    ordered = [f.attname for f in model._meta.concrete_fields if f.attname in present]
    return model.from_db(db, ordered, [present[name] for name in ordered])


def load(articles: list[Article]) -> list[Article]:
    """Sets article.links (a Links) on each article, in one query; returns the articles."""
    if not articles:
        return articles
    for article in articles:
        article.links = Links()
    by_id = {article.pk: article for article in articles}
    publications: dict[int, list[Article]] = {}
    for article in articles:
        if article.publication_id:
            publications.setdefault(article.publication_id, []).append(article)
    first, *rest = _parts(list(by_id), list(publications))
    db = router.db_for_read(Article)
    for kind, owner, data in first.union(*rest, all=True).using(db):
        if isinstance(data, str):  # SQLite returns the object as text
            data = json.loads(data)
        if kind == "standing":
            permission = _instance(RepublicationPermission, db, data, PERMISSION_FIELDS)
            for article in publications.get(owner, ()):
                article.links.permissions.append(permission)
            continue
        links = by_id[owner].links
        if kind == "tag":
            links.tags.append(_instance(Tag, db, data, ("id", "name", "slug")))
        elif kind == "actor":
            links.actors.append(_instance(Actor, db, data, ("id", "name", "slug", "kind")))
        elif kind == "place":
            links.places.append(_instance(Place, db, data, ("id", "name", "slug", "kind")))
        elif kind == "event":
            event = _instance(Event, db, data, EVENT_FIELDS)
            place = {"id": data["place_id"], "name": data["place_name"], "slug": data["place_slug"]}
            event.place = _instance(Place, db, place, place) if data["place_id"] else None
            row = {"id": data["link_id"], "article_id": owner, "event_id": event.pk}
            row.update(excerpt=data["excerpt"], paragraph=data["paragraph"])
            link = _instance(ArticleEvent, db, row, row)
            link.event = event
            link.article = by_id[owner]
            links.events.append(link)
        elif kind == "provenance":
            record = _instance(ProvenanceRecord, db, data, PROVENANCE_FIELDS)
            publication = {"id": data["publication_id"], "name": data["publication_name"]}
            record.publication = (
                _instance(Publication, db, publication, publication) if data["publication_id"] else None
            )
            links.provenance.append(record)
        elif kind == "permission":
            links.permissions.append(_instance(RepublicationPermission, db, data, PERMISSION_FIELDS))
    for article in articles:
        links = article.links
        links.tags.sort(key=lambda tag: (tag.name.casefold(), tag.pk))
        links.actors.sort(key=lambda actor: (actor.name, actor.pk))
        links.places.sort(key=lambda place: (place.name, place.pk))
        links.events.sort(
            key=lambda link: (link.paragraph is None, link.paragraph or 0, link.event.start_date, link.pk)
        )
        links.provenance.sort(key=lambda record: record.position)
    return articles
