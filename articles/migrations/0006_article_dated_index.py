"""
The archive's own order (newest first, then by id) as an index, so that the admin
changelist reads its first page from the index instead of sorting every article.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_search_index")]

    operations = [
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["dated", "id"], name="article_dated"),
        ),
    ]
