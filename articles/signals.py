"""
Keeping derived records in step with deliberate edits.

A text changed through the application (the admin, a script using the ORM)
gets a "corrected" provenance record carrying its new SHA-256, so
verify_fixity reports only changes made behind the application's back.

Every row written or deleted in the archive (articles, permissions, links,
provenance, the register, tags) replaces the editorial version, so that no
cached count or page outlives the change (articles.cache).
"""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalChanges, HistoricalRecords

from . import cache
from .fixity import FIXITY_ACTIVITIES
from .models import Article, ProvenanceActivity, ProvenanceRecord


@receiver(post_save, sender=Article, dispatch_uid="articles.record_correction")
def record_correction(sender, instance: Article, created: bool, raw: bool = False, **kwargs):
    if created or raw:
        return
    records = ProvenanceRecord.objects.filter(article=instance)
    latest = records.filter(activity__in=FIXITY_ACTIVITIES).exclude(sha256="").order_by("-position").first()
    if latest is None or latest.sha256 == instance.body_sha256:
        return
    user = getattr(instance, "_history_user", None)
    request = getattr(HistoricalRecords.context, "request", None)
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    ProvenanceRecord.objects.append(
        article=instance,
        activity=ProvenanceActivity.CORRECTED,
        agent=str(user) if user else "",
        date=timezone.localdate(),
        note="Text changed in the archive.",
        recorded_by=user,
    )


EDITORIAL_APPS = ("articles", "register")


def editorial_models():
    """Every model readers see something of; history records are written alongside and change nothing."""
    for label in EDITORIAL_APPS:
        for model in apps.get_app_config(label).get_models():
            if not issubclass(model, HistoricalChanges):
                yield model


def bump_editorial_version(sender, using="default", **kwargs):
    cache.editorial_change(using)


def bump_on_link_change(sender, action, using="default", **kwargs):
    if action.startswith("post_") and sender._meta.app_label in EDITORIAL_APPS:
        cache.editorial_change(using)


for _model in editorial_models():
    post_save.connect(bump_editorial_version, sender=_model, dispatch_uid=f"articles.version.save.{_model._meta.label}")
    post_delete.connect(
        bump_editorial_version, sender=_model, dispatch_uid=f"articles.version.delete.{_model._meta.label}"
    )
m2m_changed.connect(bump_on_link_change, dispatch_uid="articles.version.links")
