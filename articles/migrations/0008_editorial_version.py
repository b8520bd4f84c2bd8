"""
The editorial version, kept by the database: its table, and a trigger on every
editorial table that moves it (archive.editorial_version). Tables that later
migrations add get theirs after every migrate (ensure_installed).
"""

from django.db import migrations


def install(apps, schema_editor):
    from archive import editorial_version

    editorial_version.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from archive import editorial_version

    editorial_version.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0007_tag_link_dates"),
        ("register", "0007_register_name_order"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
