"""
The load test: gunicorn with production settings on PostgreSQL, and wrk
over a rotating set of valid public URLs, for LOADTEST_DURATION seconds (60)
at LOADTEST_CONNECTIONS connections (32). It passes when no socket error and
no response outside 2xx/3xx was seen, and prints the latency percentiles.

    make loadtest          # the public pages under load
    make soak              # the same while imports and admin-style saves run

LOADTEST_DATABASE_URL picks the database (default: a database of its own,
archive_loadtest, created and filled with the sample archive and a small
synthetic archive on first use). Traffic goes to 127.0.0.1 only.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
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


def soak(env: dict[str, str], stop: threading.Event, counts: dict[str, int]) -> None:
    """Imports and admin-style saves against the same database while the load runs."""
    script = """
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


def main() -> None:
    soak_mode = "--soak" in sys.argv
    env = bench.server_environment()
    prepare(env)
    urls = public_urls(env)
    bench.PORT = bench.free_port()
    wrk = bench.find_wrk()
    if wrk is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as scratch:
        paths_file = Path(scratch) / "urls.txt"
        paths_file.write_text("\n".join(urls) + "\n")
        script = Path(scratch) / "rotate.lua"
        script.write_text(ROTATE_LUA + (bench.BENCH / "report.lua").read_text())
        server = bench.start_server(env)
        stop, counts = threading.Event(), {"rounds": 0}
        worker = threading.Thread(target=soak, args=(env, stop, counts)) if soak_mode else None
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
            server.terminate()
            server.wait(timeout=30)
    summary = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    socket_errors = sum(summary[key] for key in ("connect", "read", "write", "timeout"))
    result = {
        "mode": "soak" if soak_mode else "load",
        "database": "postgresql",
        "urls": len(urls),
        "duration_s": round(summary["duration_us"] / 1e6, 1),
        "connections": CONNECTIONS,
        "requests": summary["requests"],
        "requests_per_s": round(summary["requests"] / (summary["duration_us"] / 1e6), 1),
        "socket_errors": socket_errors,
        "non_2xx_3xx": summary["status"],
        "p50_ms": round(summary["p50_us"] / 1000, 1),
        "p95_ms": round(summary["p95_us"] / 1000, 1),
        "p99_ms": round(summary["p99_us"] / 1000, 1),
    }
    if soak_mode:
        result["soak_rounds"] = counts["rounds"]
        result["soak_errors"] = counts.get("soak_errors", 0)
    bench.RESULTS.mkdir(parents=True, exist_ok=True)
    (bench.RESULTS / f"{result['mode']}test.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    failed = socket_errors or summary["status"] or result.get("soak_errors")
    if failed:
        raise SystemExit("Load test failed: errors above.")


if __name__ == "__main__":
    main()
