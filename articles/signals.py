"""
Keeping derived records in step with deliberate edits.

A text changed through the application (the admin, a script using the ORM)
gets a "corrected" provenance record carrying its new SHA-256, so
verify_fixity reports only changes made behind the application's back.

A request that writes reads the editorial version again afterwards, so the
rest of it sees what it wrote (the database moves the version itself).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords

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


def forget_version(sender, **kwargs):
    cache.forget_version()


# The database moves the editorial version itself (archive.editorial_version); a request that
# writes reads it again, so that the rest of it sees what it wrote.
post_save.connect(forget_version, dispatch_uid="articles.version.save")
post_delete.connect(forget_version, dispatch_uid="articles.version.delete")
m2m_changed.connect(forget_version, dispatch_uid="articles.version.links")
