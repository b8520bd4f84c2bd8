from django.core.management.base import BaseCommand, CommandError

from articles.fixity import check_fixity


class Command(BaseCommand):
    help = (
        "Check the record: every article's text against the SHA-256 its provenance recorded, every "
        "provenance chain against its digests (a changed, removed or reordered record), and every "
        "original file against the SHA-256 of its bytes. See docs/provenance.md."
    )

    def handle(self, *args, verbosity, **options):
        result = check_fixity()
        for finding in result.findings:
            self.stderr.write(self.style.ERROR(str(finding)))
        self.stdout.write(
            f"{result.checked} article(s), {result.records} provenance record(s) and {result.originals} "
            f"original file(s) checked: {len(result.findings)} problem(s), "
            f"{result.unrecorded} article(s) without a recorded SHA-256."
        )
        if result.failed:
            raise CommandError("Fixity check failed.")
