import datetime
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Rebuilt by migrate on the target database; dumping them would clash.
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]


class Command(BaseCommand):
    help = (
        "Write the whole archive (articles, register, history, accounts) to a compressed XML file "
        "that restore_archive loads into any database, SQLite or PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write (.xml, .xml.gz); default backups/archive-<time>.xml.gz")

    def handle(self, *args, output, verbosity, **options):
        if not output:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            output = f"backups/archive-{stamp}.xml.gz"
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        # Natural keys for the references to users, groups and content types, so
        # the file loads into a database whose content types got other ids;
        # the archive's own rows keep their ids, which URLs and history cite.
        # XML, not JSON: Django's JSON encoder cuts datetimes to milliseconds,
        # and a restored archive must be equal to the microsecond.
        call_command(
            "dumpdata",
            format="xml",
            natural_foreign=True,
            exclude=EXCLUDED,
            output=output,
            verbosity=0,
        )
        self.stdout.write(self.style.SUCCESS(f"Backup written to {output}"))
