"""
The provenance chain: each record sealed with a digest over its fields and the
previous record's (articles.chain), the bytes of imported files kept, the head of
each chain kept by a trigger, and the database's guard against changing or
deleting the record or an article that was ever public. Existing chains are
numbered from 1 and sealed here, before the guard exists.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models


def seal_existing(apps, schema_editor):
    from articles.chain import record_digest

    ProvenanceRecord = apps.get_model("articles", "ProvenanceRecord")
    ProvenanceHead = apps.get_model("articles", "ProvenanceHead")
    db = schema_editor.connection.alias
    records = ProvenanceRecord.objects.using(db).order_by("article_id", "position", "pk")
    article, position, previous = None, 0, ""
    for record in records.iterator():
        if record.article_id != article:
            if article is not None:
                ProvenanceHead.objects.using(db).create(article_id=article, length=position, digest=previous)
            article, position, previous = record.article_id, 0, ""
        position += 1
        record.position, record.previous_digest = position, previous
        values = {name: getattr(record, name) for name in ("activity", "agent", "url", "date", "date_precision")}
        values.update(
            article=record.article_id,
            position=position,
            publication=record.publication_id,
            file_name=record.file_name,
            sha256=record.sha256,
            note=record.note,
            recorded_at=record.recorded_at,
            recorded_by=record.recorded_by_id,
            original_sha256="",
            previous_digest=previous,
        )
        record.digest = previous = record_digest(values)
        record.save(update_fields=["position", "previous_digest", "digest"])
    if article is not None:
        ProvenanceHead.objects.using(db).create(article_id=article, length=position, digest=previous)


def create_guard(apps, schema_editor):
    from articles import chain

    chain.create(schema_editor.connection)


def drop_guard(apps, schema_editor):
    from articles import chain

    chain.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0008_editorial_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ProvenanceHead",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="provenance_head",
                        serialize=False,
                        to="articles.article",
                    ),
                ),
                ("length", models.PositiveIntegerField()),
                ("digest", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "provenance chain head",
            },
        ),
        migrations.AddField(
            model_name="historicalprovenancerecord",
            name="digest",
            field=models.CharField(
                default="",
                editable=False,
                help_text="SHA-256 of this record's fields and the previous record's digest.",
                max_length=64,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalprovenancerecord",
            name="previous_digest",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="provenancerecord",
            name="digest",
            field=models.CharField(
                default="",
                editable=False,
                help_text="SHA-256 of this record's fields and the previous record's digest.",
                max_length=64,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="provenancerecord",
            name="previous_digest",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="provenancerecord",
            name="article",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.DO_NOTHING, related_name="provenance", to="articles.article"
            ),
        ),
        migrations.AlterField(
            model_name="provenancerecord",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.CreateModel(
            name="OriginalFile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("file_name", models.CharField(max_length=255)),
                ("content", models.BinaryField()),
                ("size", models.PositiveIntegerField()),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("received_at", models.DateTimeField()),
                (
                    "article",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="original_files",
                        to="articles.article",
                    ),
                ),
            ],
            options={
                "verbose_name": "original file",
                "ordering": ["article", "received_at"],
            },
        ),
        migrations.AddField(
            model_name="historicalprovenancerecord",
            name="original",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="articles.originalfile",
            ),
        ),
        migrations.AddField(
            model_name="provenancerecord",
            name="original",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="records",
                to="articles.originalfile",
            ),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="provenancerecord",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    django.db.models.lookups.Exact(django.db.models.functions.text.Length("digest"), 64)
                ),
                name="provenance_digest_is_digest",
            ),
        ),
        migrations.AddConstraint(
            model_name="provenancerecord",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("position", 1), ("previous_digest", "")),
                    models.Q(
                        ("position__gt", 1),
                        django.db.models.lookups.Exact(django.db.models.functions.text.Length("previous_digest"), 64),
                    ),
                    _connector="OR",
                ),
                name="provenance_links_previous",
            ),
        ),
        migrations.AddIndex(
            model_name="originalfile",
            index=models.Index(fields=["sha256"], name="original_sha256"),
        ),
        migrations.AddConstraint(
            model_name="originalfile",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    django.db.models.lookups.Exact(django.db.models.functions.text.Length("sha256"), 64)
                ),
                name="original_sha256_is_digest",
            ),
        ),
        migrations.RunPython(create_guard, drop_guard, elidable=False),
    ]
