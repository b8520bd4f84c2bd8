from django.core.management.base import BaseCommand, CommandError

from articles.fixity import check_fixity


class Command(BaseCommand):
    help = "Recompute every article's SHA-256 and compare it with the one its provenance records."

    def handle(self, *args, verbosity, **options):
        result = check_fixity()
        for article, expected, actual in result.mismatches:
            self.stderr.write(
                self.style.ERROR(f"MISMATCH {article.slug}: recorded {expected or '(none)'}, text is {actual}")
            )
        self.stdout.write(
            f"{result.checked} article(s) checked, {len(result.mismatches)} mismatch(es), "
            f"{result.unrecorded} without a recorded SHA-256."
        )
        if result.mismatches:
            raise CommandError("Fixity check failed.")
