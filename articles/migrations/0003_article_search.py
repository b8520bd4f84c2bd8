"""
A GIN index for full-text search of articles on PostgreSQL.

The indexed expression is the weighted document of articles.search.ARTICLE_VECTOR,
written out as Django renders it, so the planner can use the index for the
`@@` match. SQLite has no such index: search there matches words with LIKE.
"""

from django.db import migrations

INDEX = "article_search_gin"
DOCUMENT = (
    "((setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(standfirst, '')), 'B'))"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'C'))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON articles_article USING GIN (({DOCUMENT}))")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_editorial_roles")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
