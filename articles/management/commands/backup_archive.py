import datetime
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Rebuilt by migrate on the target database; dumping them would clash.
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]


class Command(BaseCommand):
    help = (
        "Write the whole archive (articles, register, history, accounts) to a compressed JSON file "
        "that restore_archive loads into any database, SQLite or PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write (.json, .json.gz); default backups/archive-<time>.json.gz")

    def handle(self, *args, output, verbosity, **options):
        if not output:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            output = f"backups/archive-{stamp}.json.gz"
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        call_command(
            "dumpdata",
            natural_foreign=True,
            natural_primary=True,
            exclude=EXCLUDED,
            output=output,
            verbosity=0,
        )
        self.stdout.write(self.style.SUCCESS(f"Backup written to {output}"))
