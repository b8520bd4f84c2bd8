from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles.models import Article


class Command(BaseCommand):
    help = "Load a backup written by backup_archive into a migrated database that holds no article, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="FILE")

    def handle(self, *args, path, **options):
        if Article.objects.exists():
            raise CommandError("The database holds articles already: restore into a fresh, migrated database.")
        try:
            with transaction.atomic():
                call_command("loaddata", path, verbosity=0)
        except Exception as exc:
            raise CommandError(f"The backup could not be loaded; nothing was changed: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"Restored {Article.objects.count()} article(s) from {path}"))
