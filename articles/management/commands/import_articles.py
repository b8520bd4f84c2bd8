from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from articles.importer import ImportFailed, import_articles


class Command(BaseCommand):
    help = (
        "Import article files (.txt, .md) with optional TOML front matter, all or nothing. "
        "Files whose text is in the archive already are skipped. See docs/import-format.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders of files")
        parser.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
        parser.add_argument("--user", help="username the import is recorded under")

    def handle(self, *args, paths, dry_run, user, verbosity, **options):
        account = None
        if user:
            try:
                account = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"no user named {user!r}") from None

        def progress(index: int, total: int, path: str) -> None:
            if verbosity >= 2 or (total >= 20 and (index % 50 == 0 or index == total)):
                self.stderr.write(f"[{index}/{total}] {path}")

        try:
            report = import_articles(paths=paths, user=account, dry_run=dry_run, progress=progress)
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(self.style.ERROR(str(problem)))
            count = len(exc.problems)
            raise CommandError(f"{count} problem{'s' if count != 1 else ''} found; nothing was imported.") from None

        prefix = "would import" if dry_run else "imported"
        if verbosity >= 1:
            for article in report.created:
                self.stdout.write(f"{prefix}: {article.slug} ({article.get_status_display()})")
            for path, article in report.skipped:
                self.stdout.write(f"already in the archive: {path} (its SHA-256 is that of {article.slug})")
            for article, missing in report.drafts_missing:
                self.stdout.write(f"draft {article.slug} still needs: {', '.join(missing)}")
        summary = (
            f"{len(report.created)} article(s) {prefix}, {report.events_created} new event(s), "
            f"{len(report.skipped)} already in the archive."
        )
        if dry_run:
            summary += " Dry run: nothing was written."
        self.stdout.write(self.style.SUCCESS(summary))
