from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

import articles

SAMPLE_DIR = Path(articles.__file__).resolve().parent / "sample"


class Command(BaseCommand):
    help = "Load the sample archive: the register of the Libya 2016–2017 collection and its first five articles."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the archive holds any article already"
        )

    def handle(self, *args, if_empty, verbosity, **options):
        from articles.models import Article

        if if_empty and Article.objects.exists():
            if verbosity:
                self.stdout.write("The archive holds articles already; the sample was not loaded.")
            return
        with transaction.atomic():
            call_command("load_register", str(SAMPLE_DIR / "register.toml"), verbosity=verbosity, stdout=self.stdout)
            call_command("import_articles", str(SAMPLE_DIR / "articles"), verbosity=verbosity, stdout=self.stdout)
