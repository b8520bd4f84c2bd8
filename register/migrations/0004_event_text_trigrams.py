"""
Trigram indexes for the events' text search on PostgreSQL.

Search matches an event's title and description as Django's icontains does,
UPPER(column) LIKE UPPER('%word%'): without an index that reads every event.
A GIN index of UPPER(column) with pg_trgm's operator class answers it from the
words' trigrams. pg_trgm is a trusted extension (PostgreSQL 13+): the
database's owner may create it. Where it cannot be created, search still
works, reading every event, and the migration says so. SQLite needs nothing.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

INDEXES = {
    "event_title_trigrams": "title",
    "event_description_trigrams": "description",
}


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        logger.warning("pg_trgm could not be created (%s): event search will read every event.", error)
        return
    with connection.cursor() as cursor:
        for name, column in INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON register_event USING gin (UPPER({column}) gin_trgm_ops)"
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("register", "0003_tag_history")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
