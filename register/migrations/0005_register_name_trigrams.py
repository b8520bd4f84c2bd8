"""
Trigram indexes for the register's admin search and autocompletes on PostgreSQL.

An editor types part of a name ("ahme" for every Ahmed): the admin matches it
anywhere in an actor's or place's name or alias, as Django's icontains does
(UPPER(column) LIKE UPPER('%ahme%')), and in the normalised name_key. Without an
index each search reads the whole register, which grows with the archive. GIN
indexes of those columns with pg_trgm's operator class answer it from the
words' trigrams (pg_trgm comes with migration 0004; where it could not be
created, nothing is created here and search reads the register as before).
SQLite needs nothing.
"""

from django.db import migrations

INDEXES = {
    "actor_name_trigrams": ("register_actor", "UPPER(name)"),
    "actor_name_key_trigrams": ("register_actor", "name_key"),
    "actor_alias_name_trigrams": ("register_actoralias", "UPPER(name)"),
    "actor_alias_name_key_trigrams": ("register_actoralias", "name_key"),
    "place_name_trigrams": ("register_place", "UPPER(name)"),
    "place_name_key_trigrams": ("register_place", "name_key"),
    "place_alias_name_trigrams": ("register_placealias", "UPPER(name)"),
    "place_alias_name_key_trigrams": ("register_placealias", "name_key"),
}


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        for name, (table, expression) in INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("register", "0004_event_text_trigrams")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
