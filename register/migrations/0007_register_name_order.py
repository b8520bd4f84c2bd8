"""
Actors and places in name order, by (name, id): an autocomplete looks for its first
matches among the first records of that order (register.admin.NameKeySearchMixin).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('register', '0006_participant_event_dates'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='actor',
            index=models.Index(fields=['name', 'id'], name='actor_name'),
        ),
        migrations.AddIndex(
            model_name='place',
            index=models.Index(fields=['name', 'id'], name='place_name'),
        ),
    ]
