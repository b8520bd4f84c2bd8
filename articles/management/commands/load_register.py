from django.core.management.base import BaseCommand, CommandError

from articles.importer import ImportFailed, load_register


class Command(BaseCommand):
    help = "Create or update publications, actors, places and events from a register file (TOML), all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="FILE")

    def handle(self, *args, path, **options):
        try:
            report = load_register(path=path)
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(self.style.ERROR(str(problem)))
            raise CommandError("The register was not loaded; nothing was changed.") from None
        parts = [f"{n} {kind} created" for kind, n in sorted(report.created.items())]
        parts += [f"{n} {kind} updated" for kind, n in sorted(report.updated.items())]
        self.stdout.write(self.style.SUCCESS(", ".join(parts) or "Nothing to load."))
