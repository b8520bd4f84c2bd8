"""
Merging duplicates in the register: two records for one actor, place or tag.

Every link moves to the record that is kept, row by row so each move leaves
a history entry; where both duplicates were linked to the same row, the
survivor's link is kept and the other dropped, since the unique constraints
allow one link per pair. The duplicate's name stays as an alias of the
survivor so its spelling still finds it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Actor, ActorAlias, Place, PlaceAlias, Tag, TagAlias
from .text import normalize_name


def _save(instance, user) -> None:
    instance._history_user = user
    instance.save()


def _delete(instance, user) -> None:
    instance._history_user = user
    instance.delete()


def _move_links(links, field: str, into, partner: str, user) -> None:
    """Point each link's `field` at `into`, dropping it where `into` already has one to the same `partner`."""
    taken = set(links.model.objects.filter(**{field: into}).values_list(partner, flat=True))
    for link in links:
        if getattr(link, partner) in taken:
            _delete(link, user)
        else:
            setattr(link, field, into)
            _save(link, user)
            taken.add(getattr(link, partner))


def _keep_names(duplicate, into, alias_model, owner: str, user, **extra) -> None:
    existing = {alias.name for alias in alias_model.objects.filter(**{owner: into})}
    for alias in list(alias_model.objects.filter(**{owner: duplicate})):
        if alias.name in existing or alias.name == into.name:
            _delete(alias, user)
        else:
            setattr(alias, owner, into)
            _save(alias, user)
            existing.add(alias.name)
    if duplicate.name not in existing and duplicate.name != into.name:
        _save(alias_model(**{owner: into, "name": duplicate.name}, **extra), user)


def _check(into, duplicates) -> list:
    duplicates = [d for d in duplicates if d.pk != into.pk]
    if not duplicates:
        raise ValidationError("Choose at least one duplicate besides the record that is kept.")
    return duplicates


def merge_actors(*, into: Actor, duplicates: list[Actor], user) -> Actor:
    duplicates = _check(into, duplicates)
    with transaction.atomic():
        for duplicate in duplicates:
            _move_links(duplicate.article_links.all(), "actor", into, "article_id", user)
            _move_links(duplicate.participations.all(), "actor", into, "event_id", user)
            for affiliation in duplicate.affiliations.all():
                if affiliation.organisation_id == into.pk:
                    _delete(affiliation, user)
                else:
                    affiliation.actor = into
                    _save(affiliation, user)
            for membership in duplicate.members.all():
                if membership.actor_id == into.pk:
                    _delete(membership, user)
                else:
                    membership.organisation = into
                    _save(membership, user)
            _keep_names(duplicate, into, ActorAlias, "actor", user, note="merged duplicate")
            into.external_ids = {**duplicate.external_ids, **into.external_ids}
            into.description = into.description or duplicate.description
            into.naming_note = into.naming_note or duplicate.naming_note
            _delete(duplicate, user)
        _save(into, user)
    return into


def merge_places(*, into: Place, duplicates: list[Place], user) -> Place:
    duplicates = _check(into, duplicates)
    with transaction.atomic():
        duplicate_ids = {d.pk for d in duplicates}
        for duplicate in duplicates:
            _move_links(duplicate.article_links.all(), "place", into, "article_id", user)
            for event in duplicate.events.all():
                event.place = into
                _save(event, user)
            for child in duplicate.children.exclude(pk=into.pk):
                child.parent = into
                _save(child, user)
            _keep_names(duplicate, into, PlaceAlias, "place", user)
            if into.latitude is None and duplicate.latitude is not None:
                into.latitude, into.longitude = duplicate.latitude, duplicate.longitude
                into.geo_precision = duplicate.geo_precision
            into.description = into.description or duplicate.description
        # The survivor may have sat under a duplicate: it takes that duplicate's place in the tree.
        parent = into.parent
        while parent is not None and parent.pk in duplicate_ids:
            parent = parent.parent
        into.parent = parent
        _save(into, user)
        for duplicate in duplicates:
            duplicate.refresh_from_db()
            if duplicate.parent_id in duplicate_ids:
                duplicate.parent = None
                _save(duplicate, user)
        for duplicate in duplicates:
            _delete(duplicate, user)
    return into


def merge_tags(*, into: Tag, duplicates: list[Tag], user) -> Tag:
    duplicates = _check(into, duplicates)
    with transaction.atomic():
        for duplicate in duplicates:
            _move_links(duplicate.article_links.all(), "tag", into, "content_object_id", user)
            _move_links(duplicate.event_links.all(), "tag", into, "content_object_id", user)
            existing = {alias.name.casefold() for alias in into.aliases.all()}
            for alias in list(duplicate.aliases.all()):
                if alias.name.casefold() in existing or normalize_name(alias.name) == normalize_name(into.name):
                    _delete(alias, user)
                else:
                    alias.tag = into
                    _save(alias, user)
                    existing.add(alias.name.casefold())
            if duplicate.name.casefold() not in existing and duplicate.name.casefold() != into.name.casefold():
                _save(TagAlias(tag=into, name=duplicate.name), user)
            _delete(duplicate, user)
    return into
