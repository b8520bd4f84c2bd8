"""
Reading article files and register files into the archive.

Both are all or nothing: every file is checked, every problem is collected
with its file and line, and the database is written only when there are
none. The format is described in docs/import-format.md.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import tomllib
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from register.models import (
    SUB_TYPES_BY_TYPE,
    Actor,
    ActorAlias,
    ActorKind,
    Affiliation,
    DatePrecision,
    Event,
    EventParticipant,
    EventSubType,
    EventType,
    GeoPrecision,
    ParticipantRole,
    ParticipantSide,
    Place,
    PlaceAlias,
    PlaceKind,
    Verification,
)

from .models import (
    Article,
    ArticleActor,
    ArticleEvent,
    ArticlePlace,
    BodyFormat,
    EvidenceKind,
    OriginalFile,
    PermissionScope,
    ProvenanceActivity,
    ProvenanceRecord,
    Publication,
    RepublicationPermission,
    Status,
    normalize_text,
    text_sha256,
)

ARTICLE_SUFFIXES = {".txt", ".md", ".markdown"}
FRONT_MATTER_FENCE = "+++"
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TAG_LENGTH = 100


@dataclass
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self):
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class ImportFailed(Exception):
    """Raised with every problem found; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ParsedFile:
    path: str
    front: dict
    front_text: str
    body: str
    file_sha256: str
    has_front_matter: bool
    body_first_line: int = 1
    data: bytes = b""

    @property
    def body_sha256(self) -> str:
        return text_sha256(self.body)

    def line_of(self, key: str, occurrence: int = 0) -> int | None:
        """The file line where `key = ...` (or `[key]`/`[[key]]`) is written, for messages."""
        pattern = re.compile(rf"^\s*(?:\[\[?\s*{re.escape(key)}\s*\]\]?|\"?{re.escape(key)}\"?\s*=)")
        seen = 0
        for number, line in enumerate(self.front_text.splitlines(), start=2):
            if pattern.match(line):
                if seen == occurrence:
                    return number
                seen += 1
        return None


@dataclass
class ImportReport:
    created: list[Article] = field(default_factory=list)
    skipped: list[tuple[str, Article]] = field(default_factory=list)
    drafts_missing: list[tuple[Article, list[str]]] = field(default_factory=list)
    events_created: int = 0


# --------------------------------------------------------------------------
# Small value readers shared by both formats
# --------------------------------------------------------------------------


class Invalid(ValueError):
    """A value in a file is not what the format asks for; the message says why."""


def read_date(value, what: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise Invalid(f"{what} must be a date written YYYY-MM-DD, not {value!r}")


def read_optional_date(data: dict, key: str, what: str | None = None) -> datetime.date | None:
    if data.get(key) in (None, ""):
        return None
    return read_date(data[key], what or key)


def read_choice(data: dict, key: str, choices, default=None, what: str | None = None) -> str:
    value = data.get(key, default)
    allowed = [c for c, _ in choices.choices]
    if value not in allowed:
        raise Invalid(f"{what or key} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def read_text(data: dict, key: str, *, max_length: int | None = None, required: bool = False) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{key} must be text, not {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise Invalid(f"{key} is required")
    if "\x00" in value:
        raise Invalid(f"{key} contains a NUL character")
    if max_length is not None and len(value) > max_length:
        raise Invalid(f"{key} is longer than {max_length} characters")
    return value


def read_url(data: dict, key: str) -> str:
    value = read_text(data, key, max_length=500)
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise Invalid(f"{key} is not a valid http(s) URL: {value!r}") from None
    return value


def read_int(data: dict, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 10_000_000:
        raise Invalid(f"{key} must be a whole number from 0, not {value!r}")
    return value


def read_list(data: dict, key: str, item_type=str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, item_type) for item in value):
        raise Invalid(f"{key} must be a list of {'text' if item_type is str else 'tables'}")
    return value


def check_keys(data: dict, allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise Invalid(f"unknown key{'s' if len(unknown) > 1 else ''} in {what}: {', '.join(unknown)}")


def clean_tags(names: list[str]) -> list[str]:
    seen, tags = set(), []
    for raw in names:
        name = " ".join(raw.split())
        if not name:
            raise Invalid("a tag is empty")
        if len(name) > MAX_TAG_LENGTH:
            raise Invalid(f"tag {name[:30]!r}... is longer than {MAX_TAG_LENGTH} characters")
        if "," in name:
            raise Invalid(f"tag {name!r} contains a comma; write each tag as its own list item")
        if name.casefold() not in seen:
            seen.add(name.casefold())
            tags.append(name)
    return tags


# --------------------------------------------------------------------------
# Lookups: by slug first, then by name or any alias
# --------------------------------------------------------------------------


def find_publication(ref: str) -> Publication:
    if not isinstance(ref, str) or not ref.strip():
        raise Invalid("publication must be named by its slug or name")
    found = Publication.objects.filter(slug=ref).first() or Publication.objects.filter(name__iexact=ref).first()
    if found is None:
        raise Invalid(f"unknown publication {ref!r}: add it to the register or the admin first")
    return found


def _find_named(model, ref: str, what: str):
    if not isinstance(ref, str) or not ref.strip():
        raise Invalid(f"{what} must be named by slug, name or alias")
    found = model.objects.filter(slug=ref).first()
    if found is not None:
        return found
    matches = list(model.objects.matching(ref)[:3])
    if not matches:
        raise Invalid(f"unknown {what} {ref!r}: add it to the register first")
    if len(matches) > 1:
        names = ", ".join(m.slug for m in matches)
        raise Invalid(f"{what} {ref!r} is ambiguous ({names}): name it by slug")
    return matches[0]


def find_actor(ref: str) -> Actor:
    return _find_named(Actor, ref, "actor")


def find_place(ref: str) -> Place:
    return _find_named(Place, ref, "place")


def find_event(ref: str) -> Event:
    found = Event.objects.filter(slug=ref).first() if isinstance(ref, str) else None
    if found is None:
        raise Invalid(f"unknown event {ref!r}: define it in the register or earlier in this run")
    return found


# --------------------------------------------------------------------------
# Events, shared by register files and article front matter
# --------------------------------------------------------------------------

EVENT_KEYS = {
    "title",
    "slug",
    "type",
    "sub_type",
    "start",
    "end",
    "precision",
    "place",
    "fatalities_low",
    "fatalities_high",
    "verification",
    "parent",
    "description",
    "notes",
    "tags",
    "participants",
}


def create_event(data: dict) -> Event:
    """Create an event from a table of the import format; raises Invalid on any bad value."""
    event_type = read_choice(data, "type", EventType)
    sub_type = read_choice(data, "sub_type", EventSubType, what="sub_type")
    if sub_type not in SUB_TYPES_BY_TYPE[event_type]:
        raise Invalid(
            f"sub_type {sub_type!r} does not belong to type {event_type!r} "
            f"(it takes {', '.join(SUB_TYPES_BY_TYPE[event_type])})"
        )
    start = read_date(data.get("start"), "start")
    end = read_optional_date(data, "end")
    if end is not None and end < start:
        raise Invalid(f"end ({end}) is before start ({start})")
    low, high = read_int(data, "fatalities_low"), read_int(data, "fatalities_high")
    if low is not None and high is not None and low > high:
        raise Invalid(f"fatalities_low ({low}) is above fatalities_high ({high})")
    slug = read_text(data, "slug", max_length=100)
    if slug and Event.objects.filter(slug=slug).exists():
        raise Invalid(f"an event with slug {slug!r} exists already: link it with event = {slug!r}")
    event = Event(
        title=read_text(data, "title", max_length=255, required=True),
        slug=slug,
        event_type=event_type,
        sub_event_type=sub_type,
        start_date=start,
        end_date=end,
        date_precision=read_choice(data, "precision", DatePrecision, default=DatePrecision.DAY),
        place=find_place(data["place"]) if data.get("place") else None,
        fatalities_low=low,
        fatalities_high=high,
        verification=read_choice(data, "verification", Verification, default=Verification.SINGLE_SOURCE),
        parent=find_event(data["parent"]) if data.get("parent") else None,
        description=read_text(data, "description"),
        notes=read_text(data, "notes"),
    )
    participants = []
    for item in read_list(data, "participants", dict):
        check_keys(item, {"actor", "side", "role"}, "a participant")
        actor = find_actor(item.get("actor"))
        if any(p.actor == actor for p in participants):
            raise Invalid(f"actor {actor.slug!r} is listed twice among the participants")
        participants.append(
            EventParticipant(
                actor=actor,
                side=read_choice(item, "side", ParticipantSide, default=ParticipantSide.ACTOR_1),
                role=read_choice(item, "role", ParticipantRole, default=ParticipantRole.PARTICIPANT),
            )
        )
    tags = clean_tags(read_list(data, "tags"))
    event.full_clean(validate_unique=False)
    event.save()
    for participant in participants:
        participant.event = event
        participant.save()
    if tags:
        event.tags.add(*tags)
    return event


# --------------------------------------------------------------------------
# Article files
# --------------------------------------------------------------------------

ARTICLE_KEYS = {
    "title",
    "slug",
    "standfirst",
    "publication",
    "byline",
    "language",
    "format",
    "original_title",
    "original_url",
    "original_date",
    "date_precision",
    "period_start",
    "period_end",
    "status",
    "tags",
    "actors",
    "places",
    "editor_notes",
    "permission",
    "provenance",
    "events",
}
PERMISSION_KEYS = {
    "rights_holder",
    "granted_to",
    "granted_on",
    "scope",
    "evidence_kind",
    "evidence",
    "evidence_url",
    "attribution",
    "expires_on",
}
PROVENANCE_KEYS = {"activity", "agent", "publication", "url", "date", "date_precision", "file_name", "sha256", "note"}
EVENT_LINK_KEYS = EVENT_KEYS | {"event", "excerpt", "paragraph"}


def normalize_body(text: str) -> str:
    """The body as the archive keeps it (models.normalize_text), as the admin's form keeps an edited one."""
    return normalize_text(text)


def parse_article_file(path: str, data: bytes) -> ParsedFile:
    """Split a file into front matter and body; raises ImportFailed naming the line."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFailed([Problem(path, None, f"file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([Problem(path, line, f"not valid UTF-8 (byte {exc.start})")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFailed([Problem(path, line, "contains a NUL character")])

    lines = text.replace("\r\n", "\n").split("\n")
    front, front_text, first_body_line = {}, "", 1
    has_front_matter = bool(lines) and lines[0].strip() == FRONT_MATTER_FENCE
    if has_front_matter:
        try:
            closing = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER_FENCE)
        except StopIteration:
            raise ImportFailed([Problem(path, 1, "front matter opened with +++ is never closed")]) from None
        front_text = "\n".join(lines[1:closing])
        try:
            front = tomllib.loads(front_text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            # tomllib counts from the line after the opening fence; "end of
            # document" means the closing fence.
            line = int(match.group(1)) + 1 if match else closing + 1
            reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise ImportFailed([Problem(path, line, f"front matter is not valid TOML: {reason}")]) from None
        first_body_line = closing + 2
        lines = lines[closing + 1 :]
    body = normalize_body("\n".join(lines))
    if not body.strip():
        raise ImportFailed([Problem(path, first_body_line, "the article has no body text")])
    return ParsedFile(
        path=path,
        front=front,
        front_text=front_text,
        body=body,
        file_sha256=hashlib.sha256(data).hexdigest(),
        has_front_matter=has_front_matter,
        body_first_line=first_body_line,
        data=data,
    )


def guess_title(body: str) -> str:
    """For a file without front matter: a short first line, else the first words."""
    first = body.strip().split("\n", 1)[0].strip()
    if first and len(first) <= 150 and not first.endswith((".", ":", ";", ",")) and "\n" in body.strip():
        return first
    words = " ".join(body.split()).split(" ")
    title = " ".join(words[:12])
    return title + ("…" if len(words) > 12 else "")


def _paragraph_of(article: Article, excerpt: str) -> int | None:
    wanted = " ".join(excerpt.split())
    for number, paragraph in enumerate(article.paragraphs(), start=1):
        if wanted in " ".join(paragraph.split()):
            return number
    return None


class _ArticleBuilder:
    """Turns one parsed file into an article with its links, or collects why it cannot."""

    def __init__(self, parsed: ParsedFile, *, user, problems: list[Problem], now):
        self.parsed, self.user, self.problems, self.now = parsed, user, problems, now
        self.events_created = 0

    def fail(self, message: str, key: str | None = None, occurrence: int = 0) -> None:
        line = self.parsed.line_of(key, occurrence) if key else None
        self.problems.append(Problem(self.parsed.path, line, message))

    def attempt(self, key: str, func: Callable, *args, occurrence: int = 0, **kwargs):
        try:
            return func(*args, **kwargs)
        except Invalid as exc:
            self.fail(str(exc), key, occurrence)
        except ValidationError as exc:
            self.fail("; ".join(exc.messages), key, occurrence)
        return None

    def build(self) -> Article | None:
        front, parsed = self.parsed.front, self.parsed
        before = len(self.problems)
        self.attempt("title", check_keys, front, ARTICLE_KEYS, "the front matter")

        article = Article(body=parsed.body, created_by=self.user)
        if parsed.has_front_matter and "title" in front:
            article.title = self.attempt("title", read_text, front, "title", max_length=300) or ""
        else:
            article.title = guess_title(parsed.body)[:300]
        if not article.title:
            self.fail("title is required", "title")
        for key, max_length in [("standfirst", None), ("byline", 300), ("original_title", 300), ("editor_notes", None)]:
            setattr(article, key, self.attempt(key, read_text, front, key, max_length=max_length) or "")
        article.language = self.attempt("language", read_text, front, "language", max_length=12) or "en"
        article.slug = self.attempt("slug", read_text, front, "slug", max_length=120) or ""
        if article.slug and Article.objects.filter(slug=article.slug).exists():
            self.fail(f"an article with slug {article.slug!r} exists already", "slug")
        article.body_format = (
            self.attempt("format", read_choice, front, "format", BodyFormat, BodyFormat.PLAIN) or BodyFormat.PLAIN
        )
        article.original_url = self.attempt("original_url", read_url, front, "original_url") or ""
        article.original_date = self.attempt("original_date", read_optional_date, front, "original_date")
        article.original_date_precision = (
            self.attempt("date_precision", read_choice, front, "date_precision", DatePrecision, DatePrecision.DAY)
            or DatePrecision.DAY
        )
        article.period_start = self.attempt("period_start", read_optional_date, front, "period_start")
        article.period_end = self.attempt("period_end", read_optional_date, front, "period_end")
        if article.period_start and article.period_end and article.period_end < article.period_start:
            self.fail("period_end is before period_start", "period_end")
        if front.get("publication"):
            article.publication = self.attempt("publication", find_publication, front["publication"])
        status = self.attempt("status", read_choice, front, "status", Status, Status.DRAFT) or Status.DRAFT
        if status == Status.WITHDRAWN:
            self.fail("an article cannot be imported as withdrawn", "status")

        tags = self.attempt("tags", lambda: clean_tags(read_list(front, "tags"))) or []
        actor_refs = self.attempt("actors", read_list, front, "actors") or []
        actors = [self.attempt("actors", find_actor, ref) for ref in actor_refs]
        place_refs = self.attempt("places", read_list, front, "places") or []
        places = [self.attempt("places", find_place, ref) for ref in place_refs]
        permission = self._permission(front.get("permission"))
        provenance = self._provenance(front.get("provenance", []))
        if len(self.problems) > before:
            return None

        if status == Status.PUBLISHED:
            standing = (
                article.publication_id is not None
                and RepublicationPermission.objects.filter(publication=article.publication).valid().exists()
            )
            if not (permission and permission.is_valid()) and not standing:
                self.fail("status is published but no valid republication permission covers the article", "status")
                return None
            if self.user is not None and not self.user.has_perm("articles.publish_article"):
                self.fail(f"user {self.user} may not publish articles", "status")
                return None
            article.published_at = self.now
        article.status = status

        try:
            article.full_clean(exclude=["dated", "slug"], validate_unique=False, validate_constraints=False)
            with transaction.atomic():
                article.save()
        except ValidationError as exc:
            self.fail("; ".join(exc.messages))
            return None
        except IntegrityError as exc:
            self.fail(f"the database refused the article: {exc}")
            return None

        for step in provenance:
            ProvenanceRecord.objects.append(article=article, **step, recorded_at=self.now, recorded_by=self.user)
        name = Path(parsed.path).name
        original = OriginalFile.objects.keep(article=article, file_name=name, content=parsed.data, received_at=self.now)
        ProvenanceRecord.objects.append(
            article=article,
            activity=ProvenanceActivity.IMPORTED,
            agent=str(self.user) if self.user else "import_articles",
            file_name=name,
            date=timezone.localdate(self.now),
            note=f"Imported from {name}, file SHA-256 {parsed.file_sha256}.",
            recorded_at=self.now,
            recorded_by=self.user,
            original=original,
        )
        if permission is not None:
            permission.article = article
            permission.created_by = self.user
            permission.save()
        if tags:
            article.tags.add(*tags)
        # Saved one by one, not in bulk, so each link gets its history record.
        for actor in dict.fromkeys(actors):
            ArticleActor.objects.create(article=article, actor=actor)
        for place in dict.fromkeys(places):
            ArticlePlace.objects.create(article=article, place=place)
        self._events(article, front.get("events", []))
        if len(self.problems) > before:
            return None
        return article

    def _permission(self, data) -> RepublicationPermission | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            self.fail("permission must be a table: [permission]", "permission")
            return None
        try:
            check_keys(data, PERMISSION_KEYS, "[permission]")
            granted_on = read_date(data.get("granted_on"), "permission granted_on")
            expires_on = read_optional_date(data, "expires_on", "permission expires_on")
            if expires_on is not None and expires_on < granted_on:
                raise Invalid("permission expires_on is before granted_on")
            return RepublicationPermission(
                rights_holder=read_text(data, "rights_holder", max_length=200, required=True),
                granted_to=read_text(data, "granted_to", max_length=200) or "the archive",
                granted_on=granted_on,
                scope=read_choice(data, "scope", PermissionScope, PermissionScope.FULL_TEXT),
                evidence_kind=read_choice(data, "evidence_kind", EvidenceKind, EvidenceKind.STATEMENT),
                evidence=read_text(data, "evidence", required=True),
                evidence_url=read_url(data, "evidence_url"),
                attribution=read_text(data, "attribution", max_length=300, required=True),
                expires_on=expires_on,
            )
        except Invalid as exc:
            self.fail(str(exc), "permission")
            return None

    def _provenance(self, entries) -> list[dict]:
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.fail("provenance must be written as [[provenance]] tables", "provenance")
            return []
        records = []
        for index, data in enumerate(entries):
            try:
                check_keys(data, PROVENANCE_KEYS, "[[provenance]]")
                activity = read_choice(data, "activity", ProvenanceActivity)
                if activity in (ProvenanceActivity.IMPORTED, ProvenanceActivity.WITHDRAWN):
                    raise Invalid(f"activity {activity!r} is recorded by the archive itself")
                sha = read_text(data, "sha256").lower()
                if sha and not re.fullmatch(r"[0-9a-f]{64}", sha):
                    raise Invalid("sha256 must be 64 hexadecimal digits")
                if sha and activity == ProvenanceActivity.CORRECTED:
                    raise Invalid("the SHA-256 of a corrected text is computed by the archive: leave sha256 out")
                records.append(
                    {
                        "activity": activity,
                        "agent": read_text(data, "agent", max_length=200),
                        "publication": find_publication(data["publication"]) if data.get("publication") else None,
                        "url": read_url(data, "url"),
                        "date": read_optional_date(data, "date"),
                        "date_precision": read_choice(data, "date_precision", DatePrecision, DatePrecision.DAY),
                        "file_name": read_text(data, "file_name", max_length=255),
                        "sha256": sha,
                        "note": read_text(data, "note"),
                    }
                )
            except Invalid as exc:
                self.fail(str(exc), "provenance", index)
        return records

    def _events(self, article: Article, entries) -> None:
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.fail("events must be written as [[events]] tables", "events")
            return
        linked = set()
        for index, data in enumerate(entries):
            try:
                check_keys(data, EVENT_LINK_KEYS, "[[events]]")
                if "event" in data and "title" in data:
                    raise Invalid("an [[events]] entry either links a known event (event = ...) or defines one (title)")
                excerpt = read_text(data, "excerpt", required=True)
                with transaction.atomic():
                    if "title" in data:
                        event = create_event({k: v for k, v in data.items() if k in EVENT_KEYS})
                        self.events_created += 1
                    else:
                        event = find_event(data.get("event"))
                if event.pk in linked:
                    raise Invalid(f"event {event.slug!r} is linked twice")
                linked.add(event.pk)
                paragraph = read_int(data, "paragraph")
                found_in = _paragraph_of(article, excerpt)
                if found_in is None:
                    raise Invalid(f"the excerpt for {event.slug!r} is not a passage of the article: {excerpt[:60]!r}")
                if paragraph is not None and paragraph != found_in:
                    raise Invalid(f"the excerpt for {event.slug!r} is in paragraph {found_in}, not {paragraph}")
                ArticleEvent.objects.create(article=article, event=event, excerpt=excerpt, paragraph=found_in)
            except Invalid as exc:
                self.fail(str(exc), "events", index)
            except ValidationError as exc:
                self.fail("; ".join(exc.messages), "events", index)


def collect_files(paths: Iterable[str]) -> tuple[list[Path], list[Problem]]:
    files, problems = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
            if not found:
                problems.append(Problem(raw, None, "folder holds no .txt or .md files"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(raw, None, "no such file or folder"))
    return files, problems


def already_imported(parsed: ParsedFile) -> Article | None:
    """
    The article this text was imported as before: by the SHA-256 of the file kept as
    received, of a file its provenance names (a "received" step), or of its text.
    """
    original = OriginalFile.objects.filter(sha256=parsed.file_sha256).defer("content").select_related("article").first()
    if original is not None:
        return original.article
    record = (
        ProvenanceRecord.objects.filter(sha256__in={parsed.body_sha256, parsed.file_sha256})
        .select_related("article")
        .first()
    )
    return record.article if record else None


@contextmanager
def recorded_as(user: AbstractBaseUser | None):
    """
    Every history record written inside names `user`, as the admin's would
    name the signed-in editor; without a user the records name nobody.
    """
    if user is None:
        yield
        return
    previous = getattr(HistoricalRecords.context, "request", None)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del HistoricalRecords.context.request
        else:
            HistoricalRecords.context.request = previous


def import_articles(
    *,
    paths: Iterable[str],
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportReport:
    """
    Import every file under `paths`, all or nothing. Raises ImportFailed with
    every problem when any file is bad; with dry_run the work is done and
    then rolled back, so the report says exactly what a real run would do.
    """
    files, problems = collect_files(paths)
    parsed_files = []
    for path in files:
        try:
            parsed_files.append(parse_article_file(str(path), path.read_bytes()))
        except ImportFailed as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(Problem(str(path), None, f"cannot be read: {exc.strerror}"))
    # The files that parsed are still checked against the database, so one
    # run reports every problem; nothing is kept while there is any.

    report, now, seen = ImportReport(), timezone.now(), {}
    with recorded_as(user), transaction.atomic():
        for index, parsed in enumerate(parsed_files, start=1):
            if progress:
                progress(index, len(parsed_files), parsed.path)
            previous = seen.get(parsed.body_sha256) or already_imported(parsed)
            if previous is not None:
                report.skipped.append((parsed.path, previous))
                continue
            builder = _ArticleBuilder(parsed, user=user, problems=problems, now=now)
            article = builder.build()
            if article is None:
                continue
            seen[parsed.body_sha256] = article
            report.created.append(article)
            report.events_created += builder.events_created
            if article.status == Status.DRAFT:
                missing = article.missing_fields()
                if missing:
                    report.drafts_missing.append((article, missing))
        if problems:
            raise ImportFailed(problems)
        if dry_run:
            transaction.set_rollback(True)
    return report


# --------------------------------------------------------------------------
# Register files
# --------------------------------------------------------------------------


@dataclass
class RegisterReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[kind] = target.get(kind, 0) + 1


def _section_line(text: str, section: str, index: int) -> int | None:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*\[\[\s*{section}\s*\]\]", line):
            if seen == index:
                return number
            seen += 1
    return None


def _save_aliases(owner, alias_model, owner_field: str, names: list[str]) -> None:
    """Add the aliases not recorded yet; the canonical name itself is never an alias."""
    known = {a.name.casefold() for a in alias_model.objects.filter(**{owner_field: owner})}
    known.add(owner.name.casefold())
    for raw in names:
        name = " ".join(raw.split())
        if name and name.casefold() not in known:
            alias_model.objects.create(**{owner_field: owner, "name": name})
            known.add(name.casefold())


PLACE_KEYS = {"name", "slug", "kind", "parent", "aliases", "latitude", "longitude", "geo_precision", "description"}


def load_register(*, path: str, user: AbstractBaseUser | None = None) -> RegisterReport:
    """Create or update publications, actors, places and events from a register file, all or nothing."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ImportFailed([Problem(path, None, f"cannot be read: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        raise ImportFailed([Problem(path, None, f"not valid UTF-8 (byte {exc.start})")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ImportFailed([Problem(path, None, f"not valid TOML: {exc}")]) from None

    problems: list[Problem] = []
    report = RegisterReport()
    unknown = set(data) - {"publications", "actors", "places", "events"}
    if unknown:
        problems.append(Problem(path, None, f"unknown sections: {', '.join(sorted(unknown))}"))

    def each(section: str):
        entries = data.get(section, [])
        if not isinstance(entries, list):
            problems.append(Problem(path, None, f"{section} must be written as [[{section}]] tables"))
            return
        yield from enumerate(entries)

    def guarded(section: str, index: int, func: Callable[[], None]) -> None:
        try:
            with transaction.atomic():
                func()
        except Invalid as exc:
            problems.append(Problem(path, _section_line(text, section, index), str(exc)))
        except ValidationError as exc:
            problems.append(Problem(path, _section_line(text, section, index), "; ".join(exc.messages)))
        except IntegrityError as exc:
            problems.append(Problem(path, _section_line(text, section, index), f"refused by the database: {exc}"))

    with transaction.atomic():
        for index, entry in each("publications"):

            def publication(entry=entry):
                check_keys(entry, {"name", "slug", "url", "description", "language"}, "[[publications]]")
                name = read_text(entry, "name", max_length=200, required=True)
                slug = read_text(entry, "slug", max_length=100)
                obj = (Publication.objects.filter(slug=slug).first() if slug else None) or Publication.objects.filter(
                    name__iexact=name
                ).first()
                created = obj is None
                obj = obj or Publication()
                obj.name, obj.slug = name, slug or obj.slug
                obj.url = read_url(entry, "url")
                obj.description = read_text(entry, "description")
                obj.language = read_text(entry, "language", max_length=12) or "en"
                obj.full_clean(validate_unique=False, exclude=["slug"])
                obj.save()
                report.count("publications", created)

            guarded("publications", index, publication)

        affiliations = []
        for index, entry in each("actors"):

            def actor(entry=entry, index=index):
                check_keys(
                    entry,
                    {"name", "slug", "kind", "aliases", "description", "naming_note", "external_ids", "affiliations"},
                    "[[actors]]",
                )
                name = read_text(entry, "name", max_length=200, required=True)
                slug = read_text(entry, "slug", max_length=100)
                obj = Actor.objects.filter(slug=slug).first() if slug else None
                created = obj is None
                obj = obj or Actor(slug=slug)
                obj.name = name
                obj.kind = read_choice(entry, "kind", ActorKind, ActorKind.OTHER)
                obj.description = read_text(entry, "description")
                obj.naming_note = read_text(entry, "naming_note")
                external_ids = entry.get("external_ids", {})
                if not isinstance(external_ids, dict):
                    raise Invalid("external_ids must be a table of names to identifiers")
                obj.external_ids = {str(k): str(v) for k, v in external_ids.items()}
                obj.save()
                _save_aliases(obj, ActorAlias, "actor", read_list(entry, "aliases"))
                for item in read_list(entry, "affiliations", dict):
                    affiliations.append((index, obj, item))
                report.count("actors", created)

            guarded("actors", index, actor)

        for index, obj, item in affiliations:

            def affiliation(obj=obj, item=item):
                check_keys(item, {"organisation", "role", "start", "end", "precision", "note"}, "an affiliation")
                organisation = find_actor(item.get("organisation"))
                start, end = read_optional_date(item, "start"), read_optional_date(item, "end")
                if start and end and end < start:
                    raise Invalid(f"affiliation end ({end}) is before its start ({start})")
                if organisation == obj:
                    raise Invalid(f"{obj.slug!r} cannot be affiliated with itself")
                role = read_text(item, "role", max_length=120)
                _, created = Affiliation.objects.update_or_create(
                    actor=obj,
                    organisation=organisation,
                    role=role,
                    defaults={
                        "start_date": start,
                        "end_date": end,
                        "date_precision": read_choice(item, "precision", DatePrecision, DatePrecision.YEAR),
                        "note": read_text(item, "note", max_length=300),
                    },
                )
                report.count("affiliations", created)

            guarded("actors", index, affiliation)

        for index, entry in each("places"):

            def place(entry=entry):
                check_keys(
                    entry,
                    PLACE_KEYS,
                    "[[places]]",
                )
                name = read_text(entry, "name", max_length=200, required=True)
                slug = read_text(entry, "slug", max_length=100)
                obj = Place.objects.filter(slug=slug).first() if slug else None
                created = obj is None
                obj = obj or Place(slug=slug)
                obj.name = name
                obj.kind = read_choice(entry, "kind", PlaceKind, PlaceKind.OTHER)
                obj.parent = find_place(entry["parent"]) if entry.get("parent") else None
                for key in ("latitude", "longitude"):
                    value = entry.get(key)
                    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                        raise Invalid(f"{key} must be a number of decimal degrees")
                    setattr(obj, key, None if value is None else Decimal(str(round(value, 5))))
                obj.geo_precision = read_choice(entry, "geo_precision", GeoPrecision, GeoPrecision.EXACT)
                obj.description = read_text(entry, "description")
                obj.full_clean(validate_unique=False, exclude=["slug", "name_key"])
                obj.save()
                _save_aliases(obj, PlaceAlias, "place", read_list(entry, "aliases"))
                report.count("places", created)

            guarded("places", index, place)

        for index, entry in each("events"):

            def event(entry=entry):
                check_keys(entry, EVENT_KEYS, "[[events]]")
                slug = read_text(entry, "slug", max_length=100)
                if slug and Event.objects.filter(slug=slug).exists():
                    report.count("events", False)
                    return
                create_event(entry)
                report.count("events", True)

            guarded("events", index, event)

        if problems:
            raise ImportFailed(problems)
    return report
