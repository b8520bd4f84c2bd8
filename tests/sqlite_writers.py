"""
Run by test_concurrency: several processes write to and read from one SQLite
file at once, as gunicorn workers would. Prints one line per process.
"""

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")


def work(worker: int, rounds: int) -> str:
    import django

    django.setup()
    from django.db import transaction

    from articles.models import Article, ProvenanceActivity, ProvenanceRecord
    from register.models import Actor

    errors = 0
    for n in range(rounds):
        try:
            with transaction.atomic():
                article = Article.objects.create(title=f"Worker {worker} article {n}", body=f"Body {worker} {n}.")
                ProvenanceRecord.objects.append(article=article, activity=ProvenanceActivity.IMPORTED)
                article.tags.add(f"tag-{n % 5}")
                Actor.objects.get_or_create(slug=f"actor-{n % 7}", defaults={"name": f"Actor {n % 7}"})
            list(Article.objects.order_by("-id")[:20])
        except Exception as exc:  # every failure is what this probe counts
            errors += 1
            print(f"worker {worker}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return f"worker {worker} errors {errors}"


if __name__ == "__main__":
    workers, rounds = int(sys.argv[1]), int(sys.argv[2])
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for line in pool.map(work, range(workers), [rounds] * workers):
            print(line)
