from django.contrib.auth.management import create_permissions
from django.db import migrations

# Publishers see the sign-in attempts and lift a lock by deleting its attempt record.
PUBLISHERS_ALSO = [
    ("accessattempt", "view_accessattempt"),
    ("accessattempt", "delete_accessattempt"),
    ("accessfailurelog", "view_accessfailurelog"),
    ("accesslog", "view_accesslog"),
]


def grant_unlock(apps, schema_editor):
    db = schema_editor.connection.alias
    # Permissions are normally created after migrate; the group needs them now.
    app_config = apps.get_app_config("axes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=db)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    publishers = Group.objects.using(db).filter(name="Publishers").first()
    if publishers is None:
        return
    for model, codename in PUBLISHERS_ALSO:
        publishers.permissions.add(
            Permission.objects.using(db).get(content_type__app_label="axes", content_type__model=model, codename=codename)
        )


def revoke_unlock(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    publishers = Group.objects.using(db).filter(name="Publishers").first()
    if publishers is not None:
        publishers.permissions.remove(
            *Permission.objects.using(db).filter(
                content_type__app_label="axes", codename__in=[codename for _, codename in PUBLISHERS_ALSO]
            )
        )


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0009_provenance_chain"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.RunPython(grant_unlock, revoke_unlock),
    ]
