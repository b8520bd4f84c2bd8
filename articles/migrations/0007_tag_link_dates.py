"""
Each article tag link carries its article's date, kept by triggers
(articles.tag_dates), and an index on (tag, dated, article) reads a tag's newest
articles first. Existing links get their dates before the index is built.
"""

from django.db import migrations, models


def create_triggers(apps, schema_editor):
    from articles import tag_dates

    tag_dates.create(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    from articles import tag_dates

    tag_dates.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_article_dated_index"),
        ("register", "0004_event_text_trigrams"),
    ]

    operations = [
        migrations.AddField(
            model_name="taggedarticle",
            name="dated",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
        migrations.AddIndex(
            model_name="taggedarticle",
            index=models.Index(fields=["tag", "-dated", "-content_object"], name="tagged_article_tag_dated"),
        ),
    ]
