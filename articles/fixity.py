"""
Checking the record: that article texts are still the texts whose SHA-256 the
provenance recorded, that every chain is whole and unchanged (articles.chain),
and that every original file still holds the bytes received.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery

from . import chain
from .models import (
    DIGEST_ATTRIBUTES,
    Article,
    OriginalFile,
    ProvenanceActivity,
    ProvenanceHead,
    ProvenanceRecord,
    text_sha256,
)

# The records whose digest is of the text as the archive stores it; a
# "received" record's digest is of the file as it came in, furniture and all.
FIXITY_ACTIVITIES = (ProvenanceActivity.IMPORTED, ProvenanceActivity.CORRECTED)

# What verify_fixity reports, by kind.
CHANGED = "changed"
REMOVED = "removed"
REORDERED = "reordered"
BROKEN = "broken link"
TEXT = "text changed"
ORIGINAL = "original changed"


@dataclass(frozen=True)
class Finding:
    slug: str
    position: int | None  # the record concerned; None for the article's text
    kind: str
    detail: str

    def __str__(self):
        where = f"{self.slug} #{self.position}" if self.position is not None else self.slug
        return f"{self.kind.upper()} {where}: {self.detail}"


@dataclass
class FixityResult:
    checked: int = 0
    unrecorded: int = 0
    records: int = 0
    originals: int = 0
    mismatches: list[tuple[Article, str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.findings)


def recorded_sha256():
    """A subquery: the digest of the latest import or correction of each article."""
    return Subquery(
        ProvenanceRecord.objects.filter(article=OuterRef("pk"), activity__in=FIXITY_ACTIVITIES)
        .exclude(sha256="")
        .order_by("-position")
        .values("sha256")[:1]
    )


RECORD_COLUMNS = (
    *DIGEST_ATTRIBUTES,
    "id",
    "article_id",
    "publication_id",
    "recorded_by_id",
    "original_id",
    "original__sha256",
    "digest",
)


def _digest_of(row: dict, **changes) -> str:
    values = {name: row[name] for name in DIGEST_ATTRIBUTES}
    values.update(
        article=row["article_id"],
        publication=row["publication_id"],
        recorded_by=row["recorded_by_id"],
        original_sha256=row["original__sha256"] or "",
        **changes,
    )
    return chain.record_digest(values)


def _first_written(record_ids) -> dict[int, dict]:
    """Each record as its history says it was first written, to name what was changed since."""
    history = ProvenanceRecord.history.model.objects.filter(id__in=record_ids, history_type="+")
    return {row["id"]: row for row in history.values("id", *DIGEST_ATTRIBUTES, "publication_id", "recorded_by_id")}


def check_chain(slug: str, rows: list[dict], head: dict | None) -> list[Finding]:
    """Every way the chain `rows` (ordered by position) departs from what was appended."""
    findings, broken = [], []
    positions = {row["position"] for row in rows}
    expected, previous = 1, ""
    for row in rows:
        position = row["position"]
        if position > expected:
            missing = f"{expected}" if position == expected + 1 else f"{expected} to {position - 1}"
            findings.append(Finding(slug, expected, REMOVED, f"record {missing} is missing from the chain"))
        if row["digest"] != _digest_of(row):
            moved_from = next(
                (
                    other
                    for other in range(1, max(positions | {len(rows)}) + 2)
                    if other != position and row["digest"] == _digest_of(row, position=other)
                ),
                None,
            )
            if moved_from is not None:
                detail = f"the {row['activity']} record written at position {moved_from} now stands at {position}"
                findings.append(Finding(slug, position, REORDERED, detail))
            else:
                broken.append(row)
        elif row["previous_digest"] != previous and position == expected:
            detail = "it does not follow the record before it: that record was replaced or the two were swapped"
            findings.append(Finding(slug, position, BROKEN, detail))
        expected, previous = position + 1, row["digest"]
    if broken:
        first = _first_written([row["id"] for row in broken])
        for row in broken:
            original = first.get(row["id"])
            changed = []
            if original is not None:
                changed = [
                    name
                    for name in (*DIGEST_ATTRIBUTES, "publication_id", "recorded_by_id")
                    if original[name] != row[name]
                ]
            what = ", ".join(changed) if changed else "its fields"
            detail = f"{what} changed since it was written: its digest no longer matches"
            findings.append(Finding(slug, row["position"], CHANGED, detail))
    last = rows[-1] if rows else None
    flagged = {finding.position for finding in findings}
    if head is not None and (last is None or last["position"] < head["length"]):
        start = last["position"] + 1 if last else 1
        missing = f"{start}" if start == head["length"] else f"{start} to {head['length']}"
        findings.append(Finding(slug, start, REMOVED, f"record {missing} is missing from the end of the chain"))
    elif head is not None and last["digest"] != head["digest"] and last["position"] not in flagged:
        detail = "the last record is not the one the chain's head names"
        findings.append(Finding(slug, last["position"], CHANGED, detail))
    elif head is None and rows:
        findings.append(Finding(slug, None, REMOVED, "the chain's head is missing: its length cannot be checked"))
    return sorted(findings, key=lambda finding: (finding.position or 0, finding.kind))


def check_originals(slug: str, originals: list[dict], imports: dict[int, str]) -> list[Finding]:
    """Each kept file still hashes to its SHA-256, and its text is the text its import recorded."""
    from .importer import ImportFailed, parse_article_file

    findings = []
    for original in originals:
        content = bytes(original["content"])
        actual = hashlib.sha256(content).hexdigest()
        if actual != original["sha256"]:
            detail = f"{original['file_name']}: its bytes hash to {actual}, recorded {original['sha256']}"
            findings.append(Finding(slug, None, ORIGINAL, detail))
            continue
        recorded = imports.get(original["id"])
        try:
            body_sha256 = parse_article_file(original["file_name"], content).body_sha256
        except ImportFailed:
            body_sha256 = None
        if recorded is not None and body_sha256 != recorded:
            detail = f"{original['file_name']}: its text is not the text imported from it (recorded {recorded})"
            findings.append(Finding(slug, None, ORIGINAL, detail))
    return findings


def check_fixity(batch_size: int = 2000) -> FixityResult:
    result = FixityResult()
    articles = Article.objects.annotate(recorded=recorded_sha256()).only("slug", "body").order_by("pk")
    batch = []
    for article in articles.iterator(chunk_size=batch_size):
        batch.append(article)
        if len(batch) >= batch_size:
            _check_batch(batch, result)
            batch = []
    if batch:
        _check_batch(batch, result)
    return result


def _check_batch(articles: list[Article], result: FixityResult) -> None:
    ids = [article.pk for article in articles]
    chains = defaultdict(list)
    records = ProvenanceRecord.objects.filter(article_id__in=ids).order_by("article_id", "position")
    for row in records.values(*RECORD_COLUMNS):
        chains[row["article_id"]].append(row)
    heads = {row["article_id"]: row for row in ProvenanceHead.objects.filter(article_id__in=ids).values()}
    originals = defaultdict(list)
    kept = OriginalFile.objects.filter(article_id__in=ids)
    for row in kept.values("id", "article_id", "file_name", "sha256", "content"):
        originals[row["article_id"]].append(row)
    for article in articles:
        result.checked += 1
        rows = chains.get(article.pk, [])
        result.records += len(rows)
        result.findings += check_chain(article.slug, rows, heads.get(article.pk))
        if originals.get(article.pk):
            imports = {row["original_id"]: row["sha256"] for row in rows if row["original_id"]}
            result.originals += len(originals[article.pk])
            result.findings += check_originals(article.slug, originals[article.pk], imports)
        actual = text_sha256(article.body)
        if not article.recorded:
            result.unrecorded += 1
        elif article.recorded != actual:
            result.mismatches.append((article, article.recorded, actual))
            detail = f"the text's SHA-256 is {actual}, its provenance recorded {article.recorded}"
            result.findings.append(Finding(article.slug, None, TEXT, detail))
