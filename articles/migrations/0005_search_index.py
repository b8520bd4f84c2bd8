"""
A stored full-text index of articles: a generated tsvector column with a GIN
index on PostgreSQL, an FTS5 table kept by triggers on SQLite (articles.search_index).
Existing articles are indexed here.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    from articles import search_index

    search_index.create(schema_editor.connection)


def drop_index(apps, schema_editor):
    from articles import search_index

    search_index.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("articles", "0003_article_search")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
