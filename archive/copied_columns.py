"""
Columns the database keeps as copies of another table's column (a tag link's
article date, a participant's event date), through triggers on PostgreSQL and
SQLite: bulk inserts, imports, restores and raw updates keep them without the ORM.
articles.tag_dates and register.participant_dates each describe one.
"""

from dataclasses import dataclass

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class CopiedColumn:
    table: str  # the table holding the copy
    column: str  # the copy
    pg_create: tuple[str, ...]  # functions and triggers, each created or replaced
    pg_drop: tuple[str, ...]
    sqlite_triggers: dict[str, str]  # name: CREATE TRIGGER IF NOT EXISTS ...
    backfill: dict[str, str]  # vendor: the UPDATE that copies every row's value

    def create(self, connection: BaseDatabaseWrapper, *, backfill: bool = True) -> None:
        """The triggers, and (with `backfill`) every existing row's copy."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for statement in self.pg_create:
                    cursor.execute(statement)
            elif connection.vendor == "sqlite":
                for statement in self.sqlite_triggers.values():
                    cursor.execute(statement)
            if backfill and connection.vendor in self.backfill:
                cursor.execute(self.backfill[connection.vendor])

    def drop(self, connection: BaseDatabaseWrapper) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for statement in self.pg_drop:
                    cursor.execute(statement)
            elif connection.vendor == "sqlite":
                for name in self.sqlite_triggers:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")

    def ensure_triggers(self, using: str = "default", **kwargs) -> None:
        """
        On SQLite, rebuilding either table (as some schema changes do) drops its triggers
        with the old table: recreate them and copy every value again. For post_migrate.
        """
        connection = connections[using]
        if connection.vendor != "sqlite":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = {row[0] for row in cursor.fetchall()}
            cursor.execute("SELECT 1 FROM pragma_table_info(%s) WHERE name = %s", [self.table, self.column])
            if cursor.fetchone() is None or set(self.sqlite_triggers) <= present:
                return  # before the migration that adds the column, or nothing dropped
        self.create(connection)
