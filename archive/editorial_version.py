"""
The editorial version: one number in the database that moves with every change
to what readers may see, whatever process, path or statement made it.

Every table of the editorial apps (articles, register; their history tables
excepted) carries a trigger that moves it, so the admin, commands, bulk inserts
and raw SQL all move it alike, in the transaction that made the change:

- On PostgreSQL a statement-level trigger marks the transaction as changing the
  archive, and a deferred constraint trigger moves the version once, at commit,
  so concurrent writers take the version's row lock only as they commit and
  never hold it while waiting for another lock.
- On SQLite, where one writer at a time holds the database, a row-level trigger
  moves it at once, with a random nonce so that a number a rolled-back
  transaction used is never reused for another state.

read() is what every cache key is made from. It also names the transaction's own
uncommitted changes, so that what a transaction reads of its own writes is never
kept under a version other processes read.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from simple_history.models import HistoricalChanges

EDITORIAL_APPS = ("articles", "register")
VERSION_TABLE = "archive_editorial_version"
# The transaction-local setting that counts a transaction's own changes on PostgreSQL.
CHANGES_SETTING = "archive.editorial_changes"

PG_CREATE = (
    "CREATE TABLE IF NOT EXISTS archive_editorial_version ("
    " id smallint PRIMARY KEY CHECK (id = 1), counter bigint NOT NULL, nonce bigint NOT NULL,"
    " changed_at timestamptz NOT NULL)",
    "INSERT INTO archive_editorial_version VALUES (1, 1, 0, now()) ON CONFLICT (id) DO NOTHING",
    "CREATE TABLE IF NOT EXISTS archive_editorial_pending (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)",
    "CREATE SEQUENCE IF NOT EXISTS archive_editorial_changes",
    # A sequence, not a count, names the transaction's changes: a count would come back to a value
    # it had before a savepoint was rolled back, and name two states alike.
    f"""
    CREATE OR REPLACE FUNCTION archive_editorial_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        previous text := current_setting('{CHANGES_SETTING}', true);
    BEGIN
        PERFORM set_config('{CHANGES_SETTING}', nextval('archive_editorial_changes')::text, true);
        IF previous IS NULL OR previous = '' THEN
            INSERT INTO archive_editorial_pending DEFAULT VALUES;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION archive_editorial_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE archive_editorial_version
        SET counter = counter + 1, nonce = (random() * 9007199254740991)::bigint, changed_at = now()
        WHERE id = 1;
        DELETE FROM archive_editorial_pending WHERE id = NEW.id;
        RETURN NULL;
    END $$
    """,
    "DROP TRIGGER IF EXISTS archive_editorial_commit ON archive_editorial_pending",
    "CREATE CONSTRAINT TRIGGER archive_editorial_commit AFTER INSERT ON archive_editorial_pending"
    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION archive_editorial_commit()",
)

SQLITE_CREATE = (
    "CREATE TABLE IF NOT EXISTS archive_editorial_version ("
    " id integer PRIMARY KEY CHECK (id = 1), counter integer NOT NULL, nonce integer NOT NULL,"
    " changed_at text NOT NULL)",
    "INSERT OR IGNORE INTO archive_editorial_version VALUES (1, 1, 0, strftime('%Y-%m-%dT%H:%M:%f', 'now'))",
)
SQLITE_BUMP = (
    "UPDATE archive_editorial_version SET counter = counter + 1, nonce = random(),"
    " changed_at = strftime('%Y-%m-%dT%H:%M:%f', 'now') WHERE id = 1"
)
SQLITE_EVENTS = {"insert": "INSERT", "update": "UPDATE", "delete": "DELETE"}


@dataclass(frozen=True)
class Version:
    counter: int
    nonce: int
    # This transaction's own changes not yet committed ("" when none): its id and its latest change.
    uncommitted: str = ""

    @property
    def token(self) -> str:
        base = f"{self.counter}.{self.nonce & 0xFFFFFFFFFFFF:x}"
        return f"{base}+{self.uncommitted}" if self.uncommitted else base


def editorial_tables() -> list[str]:
    """The tables whose rows readers see something of; history records change nothing readers see."""
    tables = []
    for label in EDITORIAL_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy and not issubclass(model, HistoricalChanges):
                tables.append(model._meta.db_table)
    return sorted(set(tables))


def _sqlite_trigger(table: str, event: str) -> str:
    return f"archive_editorial_{table}_{event}"


def install(connection: BaseDatabaseWrapper) -> None:
    """The version's table and a trigger on every editorial table that exists; safe to run again."""
    present = set(connection.introspection.table_names())
    tables = [table for table in editorial_tables() if table in present]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in PG_CREATE:
                cursor.execute(statement)
            for table in tables:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER archive_editorial_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                    f" ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION archive_editorial_change()"
                )
        elif connection.vendor == "sqlite":
            for statement in SQLITE_CREATE:
                cursor.execute(statement)
            for table in tables:
                for event, verb in SQLITE_EVENTS.items():
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {_sqlite_trigger(table, event)} AFTER {verb} ON {quote(table)}"
                        f" BEGIN {SQLITE_BUMP}; END"
                    )


def uninstall(connection: BaseDatabaseWrapper) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in editorial_tables():
                cursor.execute(f"DROP TRIGGER IF EXISTS archive_editorial_change ON {quote(table)}")
            cursor.execute("DROP TABLE IF EXISTS archive_editorial_pending")
            cursor.execute("DROP FUNCTION IF EXISTS archive_editorial_change()")
            cursor.execute("DROP FUNCTION IF EXISTS archive_editorial_commit()")
            cursor.execute("DROP SEQUENCE IF EXISTS archive_editorial_changes")
        elif connection.vendor == "sqlite":
            for table in editorial_tables():
                for event in SQLITE_EVENTS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {_sqlite_trigger(table, event)}")
        cursor.execute("DROP TABLE IF EXISTS archive_editorial_version")


def ensure_installed(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """
    For post_migrate: a table a later migration adds gets its trigger, and on SQLite
    a table a migration rebuilt (dropping its triggers) gets them back.
    """
    connection = connections[using]
    if connection.vendor in ("postgresql", "sqlite") and VERSION_TABLE in connection.introspection.table_names():
        install(connection)


def read(using: str = DEFAULT_DB_ALIAS) -> Version:
    """The version as `using` holds it now: one read of one row by its key."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT counter, nonce, current_setting(%s, true), txid_current_if_assigned()"
                " FROM archive_editorial_version WHERE id = 1",
                [CHANGES_SETTING],
            )
            counter, nonce, changes, txid = cursor.fetchone()
            uncommitted = f"{txid}.{changes}" if changes else ""
            return Version(counter, nonce, uncommitted)
        cursor.execute("SELECT counter, nonce FROM archive_editorial_version WHERE id = 1")
        counter, nonce = cursor.fetchone()
        return Version(counter, nonce)
