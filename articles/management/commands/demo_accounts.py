import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

PASSWORD_FILE = Path(settings.BASE_DIR) / ".admin-password"
ACCOUNTS = [
    # username, superuser, group
    ("admin", True, None),
    ("editor", False, "Editors"),
    ("publisher", False, "Publishers"),
]


class Command(BaseCommand):
    help = (
        "For local use: create the accounts admin, editor and publisher with one generated password "
        "(kept in .admin-password) and say how to sign in. Does nothing with DJANGO_DEBUG off."
    )

    def handle(self, *args, **options):
        port = os.environ.get("PORT", "8000")
        if not settings.DEBUG:
            self.stdout.write("Debug is off: create accounts with `python manage.py createsuperuser`.")
            return
        fresh = not PASSWORD_FILE.exists()
        if not fresh:
            password = PASSWORD_FILE.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            PASSWORD_FILE.touch(mode=0o600)
            PASSWORD_FILE.write_text(password + "\n")
        User = get_user_model()
        for username, superuser, group_name in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True, "is_superuser": superuser}
            )
            if created or fresh:
                user.set_password(password)
                user.save()
            if group_name:
                group = Group.objects.filter(name=group_name).first()
                if group is not None:
                    user.groups.add(group)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nSign in to the admin at http://127.0.0.1:{port}/admin/ as admin, editor or publisher "
                f"with the password {password}\n(kept in {PASSWORD_FILE.name}; delete that file and the "
                "users to start again).\n"
            )
        )
