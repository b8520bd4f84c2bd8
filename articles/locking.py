"""
The permission matrix: what readers see of a public article is the publishers' to change.

An article is locked once it is published or withdrawn (readers see it, or its
tombstone); so is every register entry such an article refers to, and every row
that shows on one of them. For a user who may not publish, a write that would
change a locked row, or point a row at a locked one, is refused with a message
that names who can. Saving a row unchanged, or changing only its editor-only
fields, is never refused. Commands and scripts run without a user: they answer
for themselves (docs/permissions.md).
"""

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Exists, OuterRef, Q

from register import guard
from register.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EventParticipant,
    Place,
    PlaceAlias,
    Tag,
    TagAlias,
    TaggedEvent,
)

from .models import (
    Article,
    ArticleActor,
    ArticleEvent,
    ArticlePlace,
    Publication,
    RepublicationPermission,
    Status,
    TaggedArticle,
    acting_user,
)

PUBLISH = "articles.publish_article"
LOCKED_STATES = (Status.PUBLISHED, Status.WITHDRAWN)


@dataclass(frozen=True)
class Rule:
    """How a row of one model comes to be locked."""

    # Fields pointing at rows whose lock this row shares (a link shares its article's).
    owners: tuple[str, ...] = ()
    # (model, field) pairs of rows that point at this one: it is locked when a locked one does.
    referred_by: tuple[tuple[type[models.Model], str], ...] = ()
    # Fields only editors read: changing them changes nothing readers see.
    editor_only: frozenset[str] = field(default_factory=frozenset)
    # Every row, a new one too: the record itself is the publishers'.
    always: bool = False
    refused: str = "a published or withdrawn article refers to it"


PUBLIC = "a published or withdrawn article"
OF_ARTICLE = "its article is published or withdrawn"

RULES: dict[type[models.Model], Rule] = {
    Article: Rule(editor_only=frozenset({"editor_notes", "version", "updated_at"}), refused="it is {status}"),
    RepublicationPermission: Rule(always=True, refused="republication permissions are the publishers' record"),
    Publication: Rule(referred_by=((Article, "publication"),), refused=f"{PUBLIC} is from it"),
    ArticleActor: Rule(owners=("article",), refused=OF_ARTICLE),
    ArticlePlace: Rule(owners=("article",), refused=OF_ARTICLE),
    ArticleEvent: Rule(owners=("article",), refused=OF_ARTICLE),
    TaggedArticle: Rule(owners=("content_object",), refused=OF_ARTICLE),
    Event: Rule(referred_by=((ArticleEvent, "event"),), refused=f"{PUBLIC} reports it"),
    EventParticipant: Rule(owners=("event",), refused=f"{PUBLIC} reports its event"),
    TaggedEvent: Rule(owners=("content_object",), refused=f"{PUBLIC} reports its event"),
    Actor: Rule(referred_by=((ArticleActor, "actor"), (EventParticipant, "actor"))),
    ActorAlias: Rule(owners=("actor",), refused=f"{PUBLIC} refers to its actor"),
    Affiliation: Rule(owners=("actor", "organisation"), refused=f"{PUBLIC} refers to one of its actors"),
    Place: Rule(referred_by=((ArticlePlace, "place"), (Event, "place"))),
    PlaceAlias: Rule(owners=("place",), refused=f"{PUBLIC} refers to its place"),
    Tag: Rule(referred_by=((TaggedArticle, "tag"), (TaggedEvent, "tag"))),
    TagAlias: Rule(owners=("tag",), refused=f"{PUBLIC} refers to its tag"),
}


def locked(model) -> Q:
    """The condition a row of `model` meets when it is locked."""
    rule = RULES[model]
    if rule.always:
        return Q(pk__isnull=False)
    condition = Q(status__in=LOCKED_STATES) if model is Article else Q(pk__in=[])
    for name in rule.owners:
        target = model._meta.get_field(name).related_model
        condition |= Q(Exists(target.objects.filter(locked(target), pk=OuterRef(name))))
    for referrer, name in rule.referred_by:
        condition |= Q(Exists(referrer.objects.filter(locked(referrer), **{name: OuterRef("pk")})))
    return condition


def may_change_anything(user) -> bool:
    return user is None or user.has_perm(PUBLISH)


def is_locked(obj) -> bool:
    """Whether `obj`, as stored, is locked."""
    model = type(obj)._meta.concrete_model
    if model not in RULES or obj.pk is None:
        return False
    return model._base_manager.filter(locked(model), pk=obj.pk).exists()


def locked_for(user, obj) -> bool:
    """Whether `user` may change nothing readers see of `obj`: the admin shows it read-only."""
    return not may_change_anything(user) and obj is not None and is_locked(obj)


def message(obj) -> str:
    model = type(obj)._meta.concrete_model
    reason = RULES[model].refused
    if model is Article:
        reason = reason.format(status=Status(obj.status).label if obj.status in Status.values else obj.status)
    return f"Only publishers change “{obj}”: {reason}."


def _public_values(obj) -> dict:
    rule = RULES[type(obj)._meta.concrete_model]
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.name not in rule.editor_only and not getattr(f, "auto_now", False) and not f.primary_key
    }


def _points_at_locked(obj) -> bool:
    model = type(obj)._meta.concrete_model
    rule = RULES[model]
    if rule.always or (model is Article and obj.status in LOCKED_STATES and obj.pk is None):
        return True
    for name in rule.owners:
        target = model._meta.get_field(name).related_model
        target_id = getattr(obj, model._meta.get_field(name).attname)
        if target_id is not None and target._base_manager.filter(locked(target), pk=target_id).exists():
            return True
    return False


class Policy:
    """The matrix as register.guard asks it, for the user of the request being served."""

    def refusal(self, instance, *, deleting: bool = False) -> str | None:
        model = type(instance)._meta.concrete_model
        if model not in RULES or may_change_anything(acting_user()):
            return None
        stored = model._base_manager.filter(pk=instance.pk).first() if instance.pk is not None else None
        if deleting:
            return message(stored) if stored is not None and is_locked(stored) else None
        if stored is not None and _public_values(stored) == _public_values(instance):
            return None
        if (stored is not None and is_locked(stored)) or _points_at_locked(instance):
            return message(stored if stored is not None and is_locked(stored) else instance)
        return None

    def refusal_for_rows(self, queryset, changes: dict | None = None) -> str | None:
        model = queryset.model._meta.concrete_model
        if model not in RULES or may_change_anything(acting_user()):
            return None
        rule = RULES[model]
        if changes is not None and set(changes) <= rule.editor_only:
            return None
        first = queryset.filter(locked(model)).first()
        if first is not None:
            return message(first)
        for name in set(changes or ()) & set(rule.owners):
            target = model._meta.get_field(name).related_model
            value = changes[name]
            target_id = value.pk if isinstance(value, models.Model) else value
            if target._base_manager.filter(locked(target), pk=target_id).exists():
                return f"Only publishers point a {model._meta.verbose_name} at “{target.objects.get(pk=target_id)}”."
        return None


def install() -> None:
    guard.install(Policy())
