"""
The provenance chain's digests, and the database's guard over the record.

Each provenance record holds a SHA-256 over its own fields and the digest of
the record before it (record_digest), so a changed, removed or reordered
record breaks the chain where it happened (articles.fixity says where).

The guard is a set of triggers, on PostgreSQL and on SQLite, that refuse any
UPDATE or DELETE of a provenance record or of a kept original file, and the
deletion of an article that was ever public. A never-public draft may be
deleted: its chain and files go with it, removed by the article's own trigger,
and nothing else may delete them. Migration 0008 creates the guard;
ensure_guard() (after every migrate) puts the SQLite triggers back if a
migration rebuilt one of the tables. docs/provenance.md describes both.
"""

# ruff: noqa: S608 (every statement is built from this module's constants)

import datetime
import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

# The fields of a record its digest covers, in the form record_values() gives them.
DIGEST_VERSION = 1
DIGEST_FIELDS = (
    "article",
    "position",
    "activity",
    "agent",
    "publication",
    "url",
    "date",
    "date_precision",
    "file_name",
    "sha256",
    "note",
    "recorded_at",
    "recorded_by",
    "original_sha256",
    "previous_digest",
)


def _canonical(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def record_digest(values: Mapping) -> str:
    """SHA-256 of one record's fields (DIGEST_FIELDS) as canonical JSON: the same on every database."""
    document = {"v": DIGEST_VERSION, **{name: _canonical(values[name]) for name in DIGEST_FIELDS}}
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------
# The guard
# --------------------------------------------------------------------------

RECORD = "articles_provenancerecord"
ORIGINAL = "articles_originalfile"
HEAD = "articles_provenancehead"
ARTICLE = "articles_article"
EVER_PUBLIC = "{row}.published_at IS NOT NULL OR {row}.status IN ('published', 'withdrawn')"

REFUSED_CHANGE = "the provenance record is append-only: a record is never changed or deleted"
REFUSED_FILE = "an original file is kept as received: it is never changed or deleted"
REFUSED_HEAD = "a provenance chain only grows: its head never moves back"
REFUSED_ARTICLE = "an article that was ever public is never deleted: withdraw it, and its tombstone stays"
REFUSED_UNPUBLISH = "an article that was ever public keeps its publication date"

PG_CREATE = (
    # One function refuses with the message its trigger passes; SQLSTATE 23001 (restrict_violation)
    # reaches Django as an IntegrityError, as SQLite's RAISE(ABORT) does.
    """
    CREATE OR REPLACE FUNCTION archive_record_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION archive_record_owned_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM {ARTICLE} WHERE id = OLD.article_id) THEN
            RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION archive_record_head() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {HEAD} (article_id, length, digest) VALUES (NEW.article_id, NEW.position, NEW.digest)
        ON CONFLICT (article_id) DO UPDATE SET length = excluded.length, digest = excluded.digest
        WHERE excluded.length > {HEAD}.length;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION archive_article_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_WHEN = 'BEFORE' THEN
            IF {EVER_PUBLIC.format(row="OLD")} THEN
                RAISE EXCEPTION '{REFUSED_ARTICLE}' USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN OLD;
        END IF;
        DELETE FROM {RECORD} WHERE article_id = OLD.id;
        DELETE FROM {ORIGINAL} WHERE article_id = OLD.id;
        DELETE FROM {HEAD} WHERE article_id = OLD.id;
        RETURN NULL;
    END $$
    """,
    f"CREATE TRIGGER record_no_update BEFORE UPDATE ON {RECORD}"
    f" FOR EACH ROW EXECUTE FUNCTION archive_record_refuse('{REFUSED_CHANGE}')",
    f"CREATE TRIGGER record_no_delete BEFORE DELETE ON {RECORD}"
    f" FOR EACH ROW EXECUTE FUNCTION archive_record_owned_delete('{REFUSED_CHANGE}')",
    f"CREATE TRIGGER record_no_truncate BEFORE TRUNCATE ON {RECORD}"
    f" FOR EACH STATEMENT EXECUTE FUNCTION archive_record_refuse('{REFUSED_CHANGE}')",
    f"CREATE TRIGGER record_head AFTER INSERT ON {RECORD} FOR EACH ROW EXECUTE FUNCTION archive_record_head()",
    f"CREATE TRIGGER original_no_update BEFORE UPDATE ON {ORIGINAL}"
    f" FOR EACH ROW EXECUTE FUNCTION archive_record_refuse('{REFUSED_FILE}')",
    f"CREATE TRIGGER original_no_delete BEFORE DELETE ON {ORIGINAL}"
    f" FOR EACH ROW EXECUTE FUNCTION archive_record_owned_delete('{REFUSED_FILE}')",
    f"CREATE TRIGGER original_no_truncate BEFORE TRUNCATE ON {ORIGINAL}"
    f" FOR EACH STATEMENT EXECUTE FUNCTION archive_record_refuse('{REFUSED_FILE}')",
    f"CREATE TRIGGER head_no_rewind BEFORE UPDATE ON {HEAD} FOR EACH ROW"
    f" WHEN (NEW.length < OLD.length OR NEW.article_id <> OLD.article_id)"
    f" EXECUTE FUNCTION archive_record_refuse('{REFUSED_HEAD}')",
    f"CREATE TRIGGER head_no_delete BEFORE DELETE ON {HEAD}"
    f" FOR EACH ROW EXECUTE FUNCTION archive_record_owned_delete('{REFUSED_HEAD}')",
    f"CREATE TRIGGER head_no_truncate BEFORE TRUNCATE ON {HEAD}"
    f" FOR EACH STATEMENT EXECUTE FUNCTION archive_record_refuse('{REFUSED_HEAD}')",
    f"CREATE TRIGGER article_no_delete BEFORE DELETE ON {ARTICLE}"
    f" FOR EACH ROW EXECUTE FUNCTION archive_article_delete()",
    f"CREATE TRIGGER article_delete_chain AFTER DELETE ON {ARTICLE}"
    f" FOR EACH ROW EXECUTE FUNCTION archive_article_delete()",
    f"CREATE TRIGGER article_no_truncate BEFORE TRUNCATE ON {ARTICLE}"
    f" FOR EACH STATEMENT EXECUTE FUNCTION archive_record_refuse('{REFUSED_ARTICLE}')",
    f"CREATE TRIGGER article_keeps_published_at BEFORE UPDATE OF published_at ON {ARTICLE} FOR EACH ROW"
    f" WHEN (OLD.published_at IS NOT NULL AND NEW.published_at IS NULL)"
    f" EXECUTE FUNCTION archive_record_refuse('{REFUSED_UNPUBLISH}')",
)
PG_TRIGGERS = {
    "record_no_update": RECORD,
    "record_no_delete": RECORD,
    "record_no_truncate": RECORD,
    "record_head": RECORD,
    "original_no_update": ORIGINAL,
    "original_no_delete": ORIGINAL,
    "original_no_truncate": ORIGINAL,
    "head_no_rewind": HEAD,
    "head_no_delete": HEAD,
    "head_no_truncate": HEAD,
    "article_no_delete": ARTICLE,
    "article_delete_chain": ARTICLE,
    "article_no_truncate": ARTICLE,
    "article_keeps_published_at": ARTICLE,
}
PG_FUNCTIONS = (
    "archive_record_refuse()",
    "archive_record_owned_delete()",
    "archive_record_head()",
    "archive_article_delete()",
)


def _owned(table: str, message: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {table}_guard_delete BEFORE DELETE ON {table}"
        f" WHEN EXISTS (SELECT 1 FROM {ARTICLE} WHERE id = old.article_id)"
        f" BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


SQLITE_TRIGGERS = {
    "record_no_update": (
        f"CREATE TRIGGER IF NOT EXISTS record_no_update BEFORE UPDATE ON {RECORD}"
        f" BEGIN SELECT RAISE(ABORT, '{REFUSED_CHANGE}'); END"
    ),
    f"{RECORD}_guard_delete": _owned(RECORD, REFUSED_CHANGE),
    "record_head": (
        f"CREATE TRIGGER IF NOT EXISTS record_head AFTER INSERT ON {RECORD} BEGIN"
        f" INSERT INTO {HEAD} (article_id, length, digest) VALUES (new.article_id, new.position, new.digest)"
        f" ON CONFLICT (article_id) DO UPDATE SET length = excluded.length, digest = excluded.digest"
        f" WHERE excluded.length > {HEAD}.length;"
        " END"
    ),
    "original_no_update": (
        f"CREATE TRIGGER IF NOT EXISTS original_no_update BEFORE UPDATE ON {ORIGINAL}"
        f" BEGIN SELECT RAISE(ABORT, '{REFUSED_FILE}'); END"
    ),
    f"{ORIGINAL}_guard_delete": _owned(ORIGINAL, REFUSED_FILE),
    "head_no_rewind": (
        f"CREATE TRIGGER IF NOT EXISTS head_no_rewind BEFORE UPDATE ON {HEAD}"
        " WHEN new.length < old.length OR new.article_id <> old.article_id"
        f" BEGIN SELECT RAISE(ABORT, '{REFUSED_HEAD}'); END"
    ),
    f"{HEAD}_guard_delete": _owned(HEAD, REFUSED_HEAD),
    "article_no_delete": (
        f"CREATE TRIGGER IF NOT EXISTS article_no_delete BEFORE DELETE ON {ARTICLE}"
        f" WHEN {EVER_PUBLIC.format(row='old')}"
        f" BEGIN SELECT RAISE(ABORT, '{REFUSED_ARTICLE}'); END"
    ),
    "article_delete_chain": (
        f"CREATE TRIGGER IF NOT EXISTS article_delete_chain AFTER DELETE ON {ARTICLE} BEGIN"
        f" DELETE FROM {RECORD} WHERE article_id = old.id;"
        f" DELETE FROM {ORIGINAL} WHERE article_id = old.id;"
        f" DELETE FROM {HEAD} WHERE article_id = old.id;"
        " END"
    ),
    "article_keeps_published_at": (
        f"CREATE TRIGGER IF NOT EXISTS article_keeps_published_at BEFORE UPDATE OF published_at ON {ARTICLE}"
        " WHEN old.published_at IS NOT NULL AND new.published_at IS NULL"
        f" BEGIN SELECT RAISE(ABORT, '{REFUSED_UNPUBLISH}'); END"
    ),
}


def create(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table in PG_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            for statement in PG_CREATE:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_TRIGGERS.values():
                cursor.execute(statement)


def drop(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table in PG_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            for function in PG_FUNCTIONS:
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}")
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def ensure_guard(using: str = "default", **kwargs) -> None:
    """On SQLite a rebuilt table loses its triggers: put back any missing. For post_migrate."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'table')")
        present = {row[0] for row in cursor.fetchall()}
    if HEAD in present and not set(SQLITE_TRIGGERS) <= present:
        create(connection)


@contextmanager
def lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """
    The guard dropped for the block and created again after it, in one transaction,
    as a database owner erasing the whole database does: the flush command, and
    clearing a database that holds only a generated archive. Nothing lifts it for a
    part of an archive.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("the guard can only be lifted inside a transaction")
    drop(connection)
    yield
    # On an error the transaction's rollback puts the guard back with everything else.
    create(connection)
