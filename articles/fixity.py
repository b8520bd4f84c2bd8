"""Checking that article texts are still the texts whose SHA-256 the provenance recorded."""

from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery

from .models import Article, ProvenanceActivity, ProvenanceRecord, text_sha256

# The records whose digest is of the text as the archive stores it; a
# "received" record's digest is of the file as it came in, furniture and all.
FIXITY_ACTIVITIES = (ProvenanceActivity.IMPORTED, ProvenanceActivity.CORRECTED)


@dataclass
class FixityResult:
    checked: int = 0
    unrecorded: int = 0
    mismatches: list[tuple[Article, str, str]] = field(default_factory=list)


def recorded_sha256():
    """A subquery: the digest of the latest import or correction of each article."""
    return Subquery(
        ProvenanceRecord.objects.filter(article=OuterRef("pk"), activity__in=FIXITY_ACTIVITIES)
        .exclude(sha256="")
        .order_by("-position")
        .values("sha256")[:1]
    )


def check_fixity(batch_size: int = 2000) -> FixityResult:
    result = FixityResult()
    articles = Article.objects.annotate(recorded=recorded_sha256()).only("slug", "body").order_by("pk")
    for article in articles.iterator(chunk_size=batch_size):
        result.checked += 1
        actual = text_sha256(article.body)
        if not article.recorded:
            result.unrecorded += 1
        elif article.recorded != actual:
            result.mismatches.append((article, article.recorded, actual))
    return result
