"""
Where every write to the editorial records is put to the permission matrix.

A row's save() and delete(), and a queryset's update(), delete(), bulk_create()
and bulk_update(), ask the installed policy before they write. The register knows
nothing of the articles that make its entries public: the articles app installs
the policy (articles.locking) when it is ready. Without one, nothing is checked.
"""

from typing import Protocol

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models


class Policy(Protocol):
    def refusal(self, instance, *, deleting: bool = False) -> str | None: ...

    def refusal_for_rows(self, queryset, changes: dict | None = None) -> str | None: ...


_policy: Policy | None = None


def install(policy: Policy) -> None:
    global _policy
    _policy = policy


def refusal(instance, *, deleting: bool = False) -> str | None:
    """Why the acting user may not write (or delete) `instance` as it stands, or None."""
    return _policy.refusal(instance, deleting=deleting) if _policy else None


def refusal_for_rows(queryset, changes: dict | None = None) -> str | None:
    return _policy.refusal_for_rows(queryset, changes) if _policy else None


def _refuse(message: str | None) -> None:
    if message:
        raise PermissionDenied(message)


class GuardedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _refuse(refusal_for_rows(self, kwargs))
        return super().update(**kwargs)

    update.alters_data = True

    def delete(self):
        _refuse(refusal_for_rows(self))
        return super().delete()

    delete.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            _refuse(refusal(obj))
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            _refuse(refusal(obj))
        return super().bulk_update(objs, fields, *args, **kwargs)


class GuardedModel(models.Model):
    """A record whose writes obey the matrix; a form that would break it gets a form error, not a 403."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        _refuse(refusal(self))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse(refusal(self, deleting=True))
        return super().delete(*args, **kwargs)

    def clean(self):
        super().clean()
        message = refusal(self)
        if message:
            raise ValidationError(message, code="locked")
