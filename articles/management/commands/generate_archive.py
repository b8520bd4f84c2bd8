import time

from django.core.management.base import BaseCommand, CommandError

from articles import synthetic


class ProgressBar:
    """A bar redrawn in place on a terminal; on a log file, a line every tenth of the way."""

    width = 40

    def __init__(self, stream, label: str):
        self.stream, self.label = stream, label
        self.started = time.monotonic()
        self.interactive = stream.isatty()
        self.reported = -1

    def __call__(self, done: int, total: int) -> None:
        share = done / total
        elapsed = time.monotonic() - self.started
        if self.interactive:
            filled = round(self.width * share)
            bar = "#" * filled + "." * (self.width - filled)
            end = "\n" if done == total else ""
            self.stream.write(f"\r{self.label} [{bar}] {done:,}/{total:,} {elapsed:.0f}s", ending=end)
            self.stream.flush()
        elif int(share * 10) > self.reported:
            self.reported = int(share * 10)
            self.stream.write(f"{self.label}: {done:,}/{total:,} ({share:.0%}) after {elapsed:.0f}s")


class Command(BaseCommand):
    help = (
        "Generate a synthetic archive for benchmarks and tests: publications, actors, places, events, tags, "
        "articles with their permissions and provenance. The same --articles and --seed give the same rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=2000, help="how many articles (default 2,000)")
        parser.add_argument("--seed", type=int, default=1, help="the seed of every random choice (default 1)")
        parser.add_argument(
            "--clear",
            action="store_true",
            help="replace a synthetic archive made earlier; refused when the database holds anyone's real work",
        )

    def handle(self, *args, articles, seed, clear, verbosity, **options):
        if articles < 1:
            raise CommandError("--articles must be at least 1.")
        if synthetic.archive_row_count():
            if not clear:
                raise CommandError(
                    "The archive is not empty. Pass --clear to replace a synthetic archive, or point "
                    "DATABASE_URL (or DJANGO_SQLITE_PATH) at an empty database."
                )
            foreign = synthetic.foreign_rows()
            if foreign:
                found = ", ".join(f"{count:,} {name}" for name, count in foreign.items())
                raise CommandError(
                    f"--clear deletes only a synthetic archive, and this database holds {found} that "
                    "generate_archive did not make. Use another database."
                )
        progress = ProgressBar(self.stderr, "articles") if verbosity else None
        started = time.monotonic()
        counts = synthetic.generate_archive(articles=articles, seed=seed, clear=clear, progress=progress)
        elapsed = time.monotonic() - started
        if verbosity:
            rows = sum(counts.values())
            self.stdout.write(f"Generated {articles:,} articles (seed {seed}): {rows:,} rows in {elapsed:.1f}s.")
            if verbosity > 1:
                for label, count in sorted(counts.items()):
                    self.stdout.write(f"  {label}: {count:,}")
