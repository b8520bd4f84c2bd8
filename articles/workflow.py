"""
The editorial workflow: submitting, publishing and withdrawing articles, and
recording and revoking the permissions that let readers see them.

Each step checks the acting user's permission, runs in one transaction and
leaves a history record naming the user, whether it is called from the admin,
a command or a script.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .models import (
    Article,
    ProvenanceActivity,
    ProvenanceRecord,
    Publication,
    RepublicationPermission,
    Status,
)

SUBMIT = "articles.submit_article"
PUBLISH = "articles.publish_article"
MANAGE_PERMISSIONS = "articles.revoke_republicationpermission"


def _require(user, perm: str, doing: str) -> None:
    if user is None or not user.has_perm(perm):
        raise PermissionDenied(f"You are not allowed to {doing}.")


def _locked(article: Article) -> Article:
    """The article re-read under a row lock, so two publishers do not act on one stale copy."""
    return Article.objects.select_for_update().get(pk=article.pk)


def _save(instance, user, **kwargs) -> None:
    instance._history_user = user
    instance.save(**kwargs)


def submit_for_review(*, article: Article, user) -> Article:
    _require(user, SUBMIT, "submit articles for review")
    with transaction.atomic():
        article = _locked(article)
        if article.status != Status.DRAFT:
            raise ValidationError(
                f"“{article}” is {article.get_status_display()}; only a draft can be submitted for review."
            )
        article.status = Status.REVIEW
        _save(article, user)
    return article


def publish(*, article: Article, user) -> Article:
    _require(user, PUBLISH, "publish articles")
    with transaction.atomic():
        article = _locked(article)
        if article.status == Status.PUBLISHED:
            raise ValidationError(f"“{article}” is already published.")
        missing = article.missing_fields()
        if missing:
            raise ValidationError(f"“{article}” cannot be published: missing {', '.join(missing)}.", code="incomplete")
        article.status = Status.PUBLISHED
        article.published_at = timezone.now()
        article.withdrawn_at = None
        article.withdrawal_reason = ""
        _save(article, user)
    return article


def withdraw(*, article: Article, user, reason: str) -> Article:
    _require(user, PUBLISH, "withdraw articles")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("A withdrawal needs a reason; readers see it on the article's tombstone.")
    with transaction.atomic():
        article = _locked(article)
        if article.status != Status.PUBLISHED:
            raise ValidationError(
                f"“{article}” is {article.get_status_display()}; only a published article can be withdrawn."
            )
        article.status = Status.WITHDRAWN
        article.withdrawn_at = timezone.now()
        article.withdrawal_reason = reason
        _save(article, user)
        _append_provenance(article=article, user=user, activity=ProvenanceActivity.WITHDRAWN, note=reason)
    return article


def _append_provenance(*, article: Article, user, activity: str, note: str) -> ProvenanceRecord:
    return ProvenanceRecord.objects.append(
        article=article,
        activity=activity,
        agent=user.get_username(),
        date=timezone.localdate(),
        note=note,
        recorded_by=user,
    )


def record_permission(
    *,
    user,
    rights_holder: str,
    granted_on: datetime.date,
    evidence: str,
    attribution: str,
    article: Article | None = None,
    publication: Publication | None = None,
    **fields,
) -> RepublicationPermission:
    """Record a permission for one article, or a standing one for every article of a publication."""
    _require(user, MANAGE_PERMISSIONS, "record republication permissions")
    if (article is None) == (publication is None):
        raise ValidationError("A permission covers either one article or one publication.")
    permission = RepublicationPermission(
        article=article,
        publication=publication,
        rights_holder=rights_holder,
        granted_on=granted_on,
        evidence=evidence,
        attribution=attribution,
        created_by=user,
        **fields,
    )
    permission.full_clean()
    with transaction.atomic():
        _save(permission, user)
    return permission


def revoke_permission(
    *, permission: RepublicationPermission, user, reason: str, at: datetime.datetime | None = None
) -> RepublicationPermission:
    """From `at` (now) on, the articles the permission covered are no longer shown to readers."""
    _require(user, MANAGE_PERMISSIONS, "revoke republication permissions")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("A revocation needs a reason.")
    with transaction.atomic():
        permission = RepublicationPermission.objects.select_for_update().get(pk=permission.pk)
        if permission.revoked_at is not None:
            raise ValidationError(f"This permission was already revoked on {permission.revoked_at:%Y-%m-%d}.")
        permission.revoked_at = at or timezone.now()
        permission.revocation_reason = reason
        _save(permission, user)
    return permission
