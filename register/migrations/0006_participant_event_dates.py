"""
Each event participant carries its event's start date, kept by triggers
(register.participant_dates), and an index on (actor, side, role, date, event)
reads an actor's participations in display order. Existing participants get their
dates before the index is built.
"""

from django.db import migrations, models


def create_triggers(apps, schema_editor):
    from register import participant_dates

    participant_dates.create(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    from register import participant_dates

    participant_dates.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0005_register_name_trigrams"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventparticipant",
            name="event_start",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
        migrations.AddIndex(
            model_name="eventparticipant",
            index=models.Index(
                fields=["actor", "side", "role", "-event_start", "-event"], name="participant_actor_order"
            ),
        ),
    ]
