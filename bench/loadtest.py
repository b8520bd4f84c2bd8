"""
The load test: gunicorn with production settings on PostgreSQL, and wrk
over a rotating set of valid public URLs, for LOADTEST_DURATION seconds (60)
at LOADTEST_CONNECTIONS connections (32). It passes when no socket error and
no response outside 2xx/3xx was seen, and prints the latency percentiles.

    make loadtest          # the public pages under load
    make soak              # the same three times: without edits, while a publisher saves once
                           # a second, and while imports and saves run as fast as they go

LOADTEST_DATABASE_URL picks the database (default: a database of its own,
archive_loadtest, created and filled with the sample archive and a small
synthetic archive on first use). Traffic goes to 127.0.0.1 only. The soak's
targets: at one save a second the pages keep 85% of their throughput without
edits, with a p95 no more than 1.5 times as long.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DATABASE_URL = os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/archive_loadtest")
os.environ["BENCH_DATABASE_URL"] = DATABASE_URL
DURATION = int(os.environ.get("LOADTEST_DURATION", "60"))
CONNECTIONS = int(os.environ.get("LOADTEST_CONNECTIONS", "32"))
SYNTHETIC_ARTICLES = int(os.environ.get("LOADTEST_ARTICLES", "2000"))
MAX_URLS = 400

import run as bench  # noqa: E402 - the benchmark's server and wrk helpers, found through sys.path above

ROTATE_LUA = """
local paths = {}
local n = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  n = math.random(#paths)
end
request = function()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end
"""


def prepare(env: dict[str, str]) -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    server = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    exists = subprocess.run(  # noqa: S603 - our own command line
        ["psql", server, "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],  # noqa: S607, S608
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)  # noqa: S603, S607
    bench.manage(env, "migrate", "--noinput", "-v0")
    # Production settings serve hashed static files: without their manifest every page is a 500.
    bench.manage(env, "collectstatic", "--noinput", "-v0")
    count = "from articles.models import Article; print(Article.objects.count())"
    check = subprocess.run(  # noqa: S603
        [bench.PYTHON, "manage.py", "shell", "-c", count],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    if int(check.stdout.strip().splitlines()[-1]) == 0:
        bench.log(f"Filling {name}: a synthetic archive of {SYNTHETIC_ARTICLES} articles and the sample archive.")
        bench.manage(env, "generate_archive", "--articles", str(SYNTHETIC_ARTICLES), "--seed", "7")
        bench.manage(env, "load_sample", "-v0")


def public_urls(env: dict[str, str]) -> list[str]:
    """Valid public URLs, read from the database the server uses: every one must answer 2xx."""
    script = """
from articles.models import Article
from articles import public
from register.models import Event
urls = ["/", "/articles/", "/events/", "/actors/", "/tags/", "/search/?q=Benghazi", "/search/?q=Serraj",
        "/api/articles/", "/api/events/", "/api/actors/", "/feeds/articles/", "/sitemap.xml", "/export/"]
articles = Article.objects.public().order_by("-dated")[:150]
urls += [a.get_absolute_url() for a in articles] + [f"/api/articles/{a.slug}/" for a in articles[:40]]
urls += [e.get_absolute_url() for e in Event.objects.public().order_by("-start_date")[:80]]
urls += [a.get_absolute_url() for a in public.public_actors().order_by("name")[:60]]
urls += [t.get_absolute_url() for t in public.public_tags().order_by("-item_count")[:40]]
urls += [f"/articles/?tag={t.slug}" for t in public.public_tags().order_by("-item_count")[:20]]
print("\\n".join(urls))
"""
    command = [bench.PYTHON, "manage.py", "shell", "-c", script]
    output = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return [line for line in output.splitlines() if line.startswith("/")][:MAX_URLS]


# One publisher's save a second, of what readers see: a public article's title, marked and
# unmarked in turn. Each save moves the editorial version, as any edit does.
EDITING = """
import itertools, time
from articles.models import Article
MARK = " (revised)"
articles = list(Article.objects.public().order_by("-dated", "-id")[:50])
started = time.monotonic()
for n in itertools.count():
    time.sleep(max(0.0, started + n - time.monotonic()))
    article = Article.objects.get(pk=articles[n % len(articles)].pk)
    article.title = article.title.removesuffix(MARK) if article.title.endswith(MARK) else article.title + MARK
    article.save(update_fields=["title"])
    print("round", n, flush=True)
"""

# Imports and admin-style saves, as fast as they go.
HEAVY = """
import itertools, sys, tempfile, pathlib
from django.contrib.auth import get_user_model
from django.db import transaction
from articles.importer import import_articles
from articles.models import Article
from simple_history.models import HistoricalRecords
from types import SimpleNamespace
user, _ = get_user_model().objects.get_or_create(username="soak-editor", defaults={"is_staff": True})
folder = pathlib.Path(tempfile.mkdtemp())
for n in itertools.count():
    path = folder / f"soak-{n}-{id(folder)}.txt"
    path.write_text(f"Soak report {n} {id(folder)}\\n\\nFighting was reported in district {n} of Benghazi.\\n")
    import_articles(paths=[str(path)], user=user)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    draft = Article.objects.filter(status="draft").order_by("?").first()
    if draft is not None:
        with transaction.atomic():
            draft.editor_notes = f"checked in soak round {n}"
            draft.save()
    print("round", n, flush=True)
"""


def soak(env: dict[str, str], script: str, stop: threading.Event, counts: dict[str, int]) -> None:
    """`script` run by manage.py shell against the same database while the load runs, its rounds counted."""
    process = subprocess.Popen(  # noqa: S603
        [bench.PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not stop.is_set() and process.poll() is None:
        line = process.stdout.readline()
        if line.startswith("round"):
            counts["rounds"] += 1
    process.terminate()
    process.wait(timeout=30)
    counts["soak_exit"] = process.returncode
    if process.returncode not in (0, -15):
        counts["soak_errors"] = 1
        bench.log(process.stderr.read()[-2000:])


def load(env: dict[str, str], wrk: str, script: Path, paths_file: Path, editing: str | None) -> dict:
    """One wrk run over the URLs, with `editing` (a shell script) run beside it when given."""
    stop, counts = threading.Event(), {"rounds": 0}
    worker = threading.Thread(target=soak, args=(env, editing, stop, counts)) if editing else None
    started = time.monotonic()
    try:
        if worker:
            worker.start()
        command = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--timeout", "30s", "-s", str(script)]
        output = subprocess.run(  # noqa: S603
            [*command, f"http://{bench.HOST}:{bench.PORT}/", "--", str(paths_file)],
            capture_output=True,
            text=True,
            check=True,
            timeout=DURATION + 120,
        ).stdout
    finally:
        stop.set()
        if worker:
            worker.join(timeout=60)
    summary = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    seconds = summary["duration_us"] / 1e6
    result = {
        "duration_s": round(seconds, 1),
        "requests": summary["requests"],
        "requests_per_s": round(summary["requests"] / seconds, 1),
        "socket_errors": sum(summary[key] for key in ("connect", "read", "write", "timeout")),
        "non_2xx_3xx": summary["status"],
        "p50_ms": round(summary["p50_us"] / 1000, 1),
        "p95_ms": round(summary["p95_us"] / 1000, 1),
        "p99_ms": round(summary["p99_us"] / 1000, 1),
    }
    if editing:
        result["edit_rounds"] = counts["rounds"]
        result["edits_per_s"] = round(counts["rounds"] / max(time.monotonic() - started, 1e-9), 2)
        result["edit_errors"] = counts.get("soak_errors", 0)
    return result


def editing_targets(quiet: dict, editing: dict) -> dict:
    """The soak's targets: at one save a second, 85% of the throughput without edits and p95 ≤ 1.5×."""
    kept = editing["requests_per_s"] / quiet["requests_per_s"] if quiet["requests_per_s"] else 0.0
    longer = editing["p95_ms"] / quiet["p95_ms"] if quiet["p95_ms"] else float("inf")
    return {
        "throughput_kept": round(kept, 3),
        "throughput_target_met": kept >= 0.85,
        "p95_ratio": round(longer, 2),
        "p95_target_met": longer <= 1.5,
    }


def main() -> None:
    soak_mode = "--soak" in sys.argv
    env = bench.server_environment()
    prepare(env)
    urls = public_urls(env)
    bench.PORT = bench.free_port()
    wrk = bench.find_wrk()
    if wrk is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    phases = {"quiet": None, "one save a second": EDITING, "imports and saves": HEAVY} if soak_mode else {"load": None}
    runs = {}
    with tempfile.TemporaryDirectory() as scratch:
        paths_file = Path(scratch) / "urls.txt"
        paths_file.write_text("\n".join(urls) + "\n")
        script = Path(scratch) / "rotate.lua"
        script.write_text(ROTATE_LUA + (bench.BENCH / "report.lua").read_text())
        server = bench.start_server(env)
        try:
            for name, editing in phases.items():
                bench.log(f"{name}: {DURATION} s of wrk at {CONNECTIONS} connections over {len(urls)} URLs.")
                runs[name] = load(env, wrk, script, paths_file, editing)
                bench.log(json.dumps(runs[name]))
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {
        "mode": "soak" if soak_mode else "load",
        "database": "postgresql",
        "urls": len(urls),
        "connections": CONNECTIONS,
        **(runs["load"] if not soak_mode else {"phases": runs}),
    }
    if soak_mode:
        result["editing_targets"] = editing_targets(runs["quiet"], runs["one save a second"])
    bench.RESULTS.mkdir(parents=True, exist_ok=True)
    (bench.RESULTS / f"{result['mode']}test.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    failed = [
        name for name, run in runs.items() if run["socket_errors"] or run["non_2xx_3xx"] or run.get("edit_errors")
    ]
    if failed:
        raise SystemExit(f"Load test failed ({', '.join(failed)}): errors above.")


if __name__ == "__main__":
    main()
