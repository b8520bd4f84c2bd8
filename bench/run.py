"""
The archive's benchmark: the pages readers and editors use most, on a synthetic
archive of 100,000 articles, served as in production.

    make bench                                          # SQLite, bench/bench.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_m make bench

It builds the archive once (generate_archive) and reuses it, serves it with
gunicorn and production settings, loads each page for a bounded time with wrk
(or a small client of its own when wrk cannot be had), counts each page's SQL
queries in-process against the same database, and writes bench/results/latest.json
and latest.md. Every request goes to 127.0.0.1.

Settings (environment): BENCH_ARTICLES (100000), BENCH_SEED (1), BENCH_DURATION
seconds per load (5), BENCH_ROUNDS (5: every page is loaded once per round, in turn, the order
reversed every other round, and reported by its median round; a share of another page is the median
of the shares of each round), BENCH_CONNECTIONS (4), BENCH_WORKERS gunicorn processes (2),
BENCH_PORT (a free one), BENCH_PAGES (comma-separated page names, all by default), BENCH_SLOW
(5: seconds per request beyond which a page is reported, not load-tested),
BENCH_REQUEST_LIMIT (30: seconds after which its SQL is interrupted) and BENCH_AUTOCOMPLETE_TERM
(ahme: what the admin's actor autocomplete is asked). The article list is also loaded from a second
gunicorn with the page cache on (DJANGO_PAGE_CACHE=1), in BENCH_CACHE_URL or CACHE_URL, else a Redis
answering on 127.0.0.1:6379, else each worker's local memory.
"""

import concurrent.futures
import contextlib
import datetime
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PYTHON = sys.executable
HOST = "127.0.0.1"

ARTICLES = int(os.environ.get("BENCH_ARTICLES", "100000"))
SEED = int(os.environ.get("BENCH_SEED", "1"))
DURATION = int(os.environ.get("BENCH_DURATION", "5"))
# Every page is loaded once per round, the pages in turn, and reported by its median round: a
# machine's speed drifts by a fifth or more over a run, which single loads took for a page's own.
# A page's share of another (of /healthz, of the list) is the median of its shares in each round,
# the two loaded within a minute of each other, so that one page's good round is never set against
# the other's bad one minutes apart.
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "5")))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
PORT = int(os.environ.get("BENCH_PORT", "0"))
# Seconds: a page slower than SLOW in-process is not load-tested; its SQL is interrupted at REQUEST_LIMIT.
SLOW = float(os.environ.get("BENCH_SLOW", "5"))
REQUEST_LIMIT = int(os.environ.get("BENCH_REQUEST_LIMIT", "30"))
ONLY = {name.strip() for name in os.environ.get("BENCH_PAGES", "").split(",") if name.strip()}
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "").strip()
AUTOCOMPLETE_TERM = os.environ.get("BENCH_AUTOCOMPLETE_TERM", "ahme")
EDIT_SAMPLES = max(1, int(os.environ.get("BENCH_EDIT_SAMPLES", "3")))
SQLITE_PATH = os.environ.get("BENCH_SQLITE_PATH", str(BENCH / "bench.sqlite3"))

LIST_PAGES = {"list", "list-deep", "tag-popular", "tag-mid", "tag-rare", "two-tags", "actor-filter", "api-list"}
DETAIL_PAGES = {"article", "event", "actor"}


@dataclass
class Page:
    name: str
    label: str
    url: str
    admin: bool = False
    cached: bool = False  # served by the second server, the page cache on
    status: int | None = None
    state: str = "pending"  # measured, missing, failed
    note: str = ""
    queries: int | None = None
    sql_ms: float | None = None
    single_ms: float | None = None
    # The first request, which computes what the editorial version caches (counts, page keys).
    cold_ms: float | None = None
    # In-process, the median of EDIT_SAMPLES requests each just after an editorial change, and of as
    # many warm ones: what a reader waits while editors work, against what a reader waits otherwise.
    after_edit_ms: float | None = None
    warm_ms: float | None = None
    slowest_sql: str = ""
    sql: list[str] = field(default_factory=list, repr=False)
    requests: int = 0
    rps: float | None = None
    ratio: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    rounds: list[float] = field(default_factory=list)  # req/s of each round, in order


def server_environment(database_url: str = DATABASE_URL) -> dict[str, str]:
    """Production settings, on the benchmark's own database, reachable only on 127.0.0.1."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
        # Production keeps connections open; a new one per request would be measured instead of the page.
        env.setdefault("DJANGO_CONN_MAX_AGE", "60")
    else:
        env["DJANGO_SQLITE_PATH"] = SQLITE_PATH
    env.update(
        DJANGO_DEBUG="0",
        # bench/scale.py gives its servers and the runs that sign in their admin one key.
        DJANGO_SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="archive.settings",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603 (our own command line)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# The archive and the pages to load
# --------------------------------------------------------------------------


def prepare_archive(env: dict[str, str]) -> None:
    from django.db import connection

    from articles import synthetic
    from articles.models import Article, Publication

    count = Article.objects.count()
    foreign = synthetic.foreign_rows()
    if foreign:
        found = ", ".join(f"{n:,} {name}" for name, n in foreign.items())
        raise SystemExit(f"The benchmark database holds {found} that generate_archive did not make; use another one.")
    seeded = Publication.objects.filter(description__contains=f"(seed {SEED})").exists()
    if count == ARTICLES and seeded:
        log(f"Reusing the synthetic archive of {count:,} articles.")
    else:
        generate(env)
    if connection.vendor == "postgresql":
        # Fresh statistics, and the visibility map autovacuum keeps on a live database (index-only
        # scans depend on it): the planner's choices are part of what is measured.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")


def generate(env: dict[str, str]) -> None:
    from django.db import connection

    connection.close()
    log(f"Generating a synthetic archive of {ARTICLES:,} articles (seed {SEED}); this takes a few minutes.")
    started = time.monotonic()
    manage(env, "generate_archive", "--articles", str(ARTICLES), "--seed", str(SEED), "--clear")
    log(f"Generated in {time.monotonic() - started:.0f}s.")


def admin_session() -> str:
    """A signed-in superuser's session key, made directly: no password to know or to send."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def choose_pages() -> list[Page]:
    """The pages of issue 6, each on data picked from the archive by how common it is."""
    from django.conf import settings
    from django.db.models import Count

    from articles.models import Article, ArticleActor, ArticleEvent, ArticlePlace, TaggedArticle
    from register.models import Place, PlaceKind, Tag

    per_tag = list(TaggedArticle.objects.values("tag").annotate(n=Count("*")).order_by("-n", "tag"))
    slugs = dict(Tag.objects.filter(pk__in=[row["tag"] for row in per_tag]).values_list("pk", "slug"))
    popular = per_tag[0]
    # Mid: the tag nearest 1% of the articles; rare: the least used one that still fills a page.
    mid = min(per_tag, key=lambda row: abs(row["n"] - ARTICLES / 100))
    rare = min((row for row in per_tag if row["n"] >= 25), key=lambda row: row["n"])
    actors = list(ArticleActor.objects.values("actor__slug").annotate(n=Count("*")).order_by("-n", "actor__slug")[:10])
    actor = actors[-1]
    article = Article.objects.public().filter(event_links__isnull=False).order_by("-dated", "-id").only("slug").first()
    # The event page shows a page of its reports: the event is one with just more than a page of
    # them, the newest such, so that the page holds as much at every size of archive.
    reports = (
        ArticleEvent.objects.filter(article__in=Article.objects.public())
        .values("event__slug", "event__start_date", "event")
        .annotate(n=Count("*"))
        .filter(n__gt=settings.ARCHIVE_PAGE_SIZE)
        .order_by("n", "-event__start_date", "-event")
        .first()
    )
    if reports is None:  # a small archive: the newest article's first event
        reports = {"event__slug": article.event_links.select_related("event").first().event.slug, "n": None}
    event_slug = reports["event__slug"]
    place_counts = dict(
        ArticlePlace.objects.filter(place__kind=PlaceKind.CITY).values_list("place").annotate(n=Count("*"))
    )
    towns = Place.objects.filter(kind=PlaceKind.CITY, pk__in=[pk for pk, n in place_counts.items() if 5 <= n <= 100])
    selective = next((town.name.split()[-1] for town in towns.order_by("pk") if " " not in town.name), None)
    selective = selective or towns.order_by("pk").first().name.split()[-1]
    # The first letters of a common name, the same at every size of archive, so that both sizes
    # are asked the same question.
    autocomplete = urlencode(
        {"app_label": "articles", "model_name": "articleactor", "field_name": "actor", "term": AUTOCOMPLETE_TERM}
    )

    def tags(*rows):
        return urlencode([("tag", slugs[row["tag"]]) for row in rows])

    pages = [
        Page("healthz", "/healthz (baseline)", "/healthz"),
        Page("list", "article list, page 1", "/articles/"),
        Page("list-cached", "article list, page 1, page cache on", "/articles/", cached=True),
        Page("list-deep", "article list, page 200", "/articles/?page=200"),
        Page("tag-popular", f"list by a popular tag ({popular['n']:,} articles)", f"/articles/?{tags(popular)}"),
        Page("tag-mid", f"list by a mid tag ({mid['n']:,} articles)", f"/articles/?{tags(mid)}"),
        Page("tag-rare", f"list by a rare tag ({rare['n']:,} articles)", f"/articles/?{tags(rare)}"),
        Page("two-tags", "list by two tags (popular + mid)", f"/articles/?{tags(popular, mid)}"),
        Page("actor-filter", f"list by actor ({actor['n']:,} articles)", f"/articles/?actor={actor['actor__slug']}"),
        Page("article", "article detail", f"/articles/{article.slug}/"),
        Page("event", f"event detail ({reports['n'] or 'few'} reports)", f"/events/{event_slug}/"),
        Page("actor", "actor detail", f"/actors/{actor['actor__slug']}/"),
        Page("tag-cloud", "tag cloud", "/tags/"),
        Page("search-selective", f"search, selective term ({selective})", f"/search/?{urlencode({'q': selective})}"),
        Page("search-common", "search, common term (forces)", "/search/?q=forces"),
        Page("api-list", "API article list", "/api/articles/"),
        Page("admin-changelist", "admin article changelist", "/admin/articles/article/", admin=True),
        Page(
            "admin-autocomplete",
            f"admin actor autocomplete ({AUTOCOMPLETE_TERM})",
            f"/admin/autocomplete/?{autocomplete}",
            admin=True,
        ),
    ]
    return [page for page in pages if not ONLY or page.name in ONLY or page.name == "healthz"]


def route_exists(page: Page) -> bool:
    from django.contrib import admin
    from django.urls import Resolver404, resolve

    from articles.models import Article
    from register.models import Actor

    if page.name == "admin-changelist":
        return admin.site.is_registered(Article)
    if page.name == "admin-autocomplete":
        return admin.site.is_registered(Actor) and bool(admin.site.get_model_admin(Actor).search_fields)
    try:
        resolve(page.url.split("?")[0])
    except Resolver404:
        return False
    return True


@contextlib.contextmanager
def time_limit(connection, seconds: int):
    """Interrupt the page's SQL after `seconds`, so that one pathological page cannot hold up the whole run."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        timer = threading.Timer(seconds, connection.connection.interrupt)
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(seconds * 1000)}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")


def serve_in_process(client, connection, page: Page):
    from django.test.utils import CaptureQueriesContext

    started = time.monotonic()
    with time_limit(connection, REQUEST_LIMIT), CaptureQueriesContext(connection) as captured:
        response = client.get(page.url)
    return response, captured, time.monotonic() - started


EDITED_MARK = " (revised)"


def editorial_change() -> None:
    """
    A publisher's save of what readers see: one public article's title, marked and unmarked in
    turn so that the archive stays as generated. Like every editorial change it moves the
    editorial version, in this process and in the servers'.
    """
    from articles.models import Article

    article = Article.objects.public().order_by("dated", "id").first()
    if article.title.endswith(EDITED_MARK):
        article.title = article.title.removesuffix(EDITED_MARK)
    else:
        article.title += EDITED_MARK
    article.save(update_fields=["title"])


def after_edits(client, connection, page: Page) -> None:
    """The page's in-process time just after an editorial change, and warm, each the median of EDIT_SAMPLES."""
    after, warm = [], []
    for _ in range(EDIT_SAMPLES):
        editorial_change()
        after.append(serve_in_process(client, connection, page)[2])
        warm.append(serve_in_process(client, connection, page)[2])
    page.after_edit_ms = statistics.median(after) * 1000
    page.warm_ms = statistics.median(warm) * 1000


def count_queries(pages: list[Page], session_key: str) -> None:
    """
    Each page in-process against the same database: its SQL queries and their time,
    from a second request once the first has warmed the caches (the first one's time
    is kept too: what the first reader after an editorial change waits). A page whose
    second request takes SLOW seconds or more is not load-tested: that request is its measure.
    A page served with the page cache on is the same page as one without: it is not counted again.
    """
    from django.db import connection
    from django.test import Client

    client = Client(raise_request_exception=False, HTTP_HOST=HOST)
    client.cookies["sessionid"] = session_key
    for page in pages:
        if page.cached:
            continue
        if not route_exists(page):
            page.state, page.note = "missing", "no such page yet"
            continue
        response, captured, elapsed = serve_in_process(client, connection, page)
        page.cold_ms = elapsed * 1000
        # The first request computes what is cached per editorial version, however long that takes;
        # the second is what readers get until the next change, and is what decides whether to load-test.
        if elapsed < REQUEST_LIMIT:
            response, captured, elapsed = serve_in_process(client, connection, page)
        first = f"{page.cold_ms / 1000:.2f} s first"
        log(f"  {page.name:<20} {len(captured):3} queries, {elapsed:6.2f} s in-process ({first})")
        page.status, page.queries, page.single_ms = response.status_code, len(captured), elapsed * 1000
        page.sql = [query["sql"] for query in captured.captured_queries]
        if captured.captured_queries:
            timed = [(float(query["time"]) * 1000, query["sql"]) for query in captured.captured_queries]
            page.sql_ms = sum(ms for ms, _ in timed)
            slowest = max(timed)
            page.slowest_sql = f"{slowest[0]:.0f} ms: {slowest[1][:600]}"
        if elapsed >= REQUEST_LIMIT:
            page.state, page.note = "too slow", f"interrupted after {REQUEST_LIMIT} s in-process"
        elif elapsed >= SLOW:
            page.state, page.note = "too slow", f"{elapsed:.1f} s per request in-process; not load-tested"
        elif response.status_code == 404:
            page.state, page.note = "missing", "answers 404"
        elif response.status_code != 200:
            page.state, page.note = "failed", f"answers {response.status_code} in-process"
        if page.state == "pending" and page.name != "healthz":
            after_edits(client, connection, page)


# --------------------------------------------------------------------------
# Serving and loading
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(env: dict[str, str], port: int | None = None, log_name: str = "gunicorn.log") -> subprocess.Popen:
    port = port or PORT
    gunicorn = Path(PYTHON).with_name("gunicorn")
    logfile = (RESULTS / log_name).open("w")
    command = [str(gunicorn), "archive.wsgi:application", "--bind", f"{HOST}:{port}"]
    command += ["--workers", str(WORKERS), "--timeout", "120", "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer on {HOST}:{port}; see {RESULTS / log_name}")


def page_cache_url() -> str:
    """BENCH_CACHE_URL, else the CACHE_URL of the environment, else a Redis on 127.0.0.1:6379 if one answers."""
    url = os.environ.get("BENCH_CACHE_URL", os.environ.get("CACHE_URL", "")).strip()
    if url:
        return url
    try:
        with socket.create_connection((HOST, 6379), timeout=0.5) as redis:
            redis.sendall(b"PING\r\n")
            if redis.recv(16).startswith(b"+PONG"):
                return f"redis://{HOST}:6379/1"
    except OSError:
        pass
    return ""


def stop_servers(servers: list[subprocess.Popen]) -> None:
    """Each server asked to stop, then waited for; killed after 30 s."""
    for server in servers:
        server.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def find_wrk() -> str | None:
    wrk, apt = shutil.which("wrk"), shutil.which("apt-get")
    if wrk is None and apt and os.geteuid() == 0:
        log("Installing wrk (Debian package).")
        subprocess.run([apt, "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)  # noqa: S603
        wrk = shutil.which("wrk")
    return wrk


def load_with_wrk(wrk: str, page: Page, headers: dict[str, str], port: int | None = None) -> dict:
    command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--timeout", "30s", "-s", str(BENCH / "report.lua")]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    url = f"http://{HOST}:{port or PORT}{page.url}"
    output = subprocess.run(  # noqa: S603 (our own command line)
        [*command, url], capture_output=True, text=True, check=True, timeout=DURATION + 90
    ).stdout
    summary = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    errors = sum(summary[key] for key in ("connect", "read", "write", "status", "timeout"))
    return {
        "requests": summary["requests"],
        "seconds": summary["duration_us"] / 1e6,
        "p50": summary["p50_us"] / 1000,
        "p95": summary["p95_us"] / 1000,
        "p99": summary["p99_us"] / 1000,
        "errors": errors,
    }


def load_with_python(page: Page, headers: dict[str, str], port: int | None = None) -> dict:
    """The same measure as wrk's, by CONNECTIONS threads, for a machine without it."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + DURATION

    def worker():
        while time.monotonic() < stop:
            connection = http.client.HTTPConnection(HOST, port or PORT, timeout=30)
            started = time.perf_counter()
            try:
                connection.request("GET", page.url, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status < 400
            except OSError:
                ok = False
            finally:
                connection.close()
            with lock:
                latencies.append(time.perf_counter() - started)
                errors[0] += not ok

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
        "errors": errors[0],
    }


def warm_up(page: Page, headers: dict[str, str], port: int | None = None) -> None:
    """
    Rounds of WORKERS requests at once, so that every worker has compiled its templates,
    opened its connection and, with its own local-memory cache, computed what the editorial
    version caches: requests one after another could all reach the same worker.
    """

    def fetch(_):
        request = urllib.request.Request(f"http://{HOST}:{port or PORT}{page.url}", headers=headers)
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=REQUEST_LIMIT + 30).read()  # noqa: S310 (http to 127.0.0.1 only)

    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for _ in range(3):
            list(pool.map(fetch, range(WORKERS)))


def load(page: Page, headers: dict[str, str], wrk: str | None, port: int | None = None) -> dict:
    """One load of the page, with wrk when there is one: requests, seconds, req/s, latencies, errors."""
    result = load_with_wrk(wrk, page, headers, port) if wrk else load_with_python(page, headers, port)
    result["rps"] = result["requests"] / result["seconds"] if result["seconds"] else 0.0
    return result


def measure(pages: list[Page], session_key: str, wrk: str | None, cached_port: int | None = None) -> None:
    pending = [page for page in pages if page.state == "pending" and (cached_port or not page.cached)]
    rounds: dict[str, list[dict]] = {page.name: [] for page in pending}
    for number in range(1, ROUNDS + 1):
        if ROUNDS > 1:
            log(f"Round {number} of {ROUNDS}.")
        # Reversed every other round, so that no page is always loaded first or last, just after another.
        for page in pending if number % 2 else pending[::-1]:
            headers = {"Cookie": f"sessionid={session_key}"} if page.admin else {}
            port = cached_port if page.cached else PORT
            if number == 1:
                warm_up(page, headers, port)
            result = load(page, headers, wrk, port)
            rounds[page.name].append(result)
            log(f"  {page.name:<20} {result['rps']:8.1f} req/s  p95 {result['p95']:8.1f} ms  errors {result['errors']}")
    for page in pending:
        report_median_round(page, rounds[page.name])
    baseline = next((p for p in pages if p.name == "healthz" and p.rps), None)
    for page in pages:
        if baseline and page.rps is not None:
            page.ratio = share(page, baseline)


def paired_share(rounds: list[float], base_rounds: list[float]) -> float | None:
    """The median of one page's req/s over another's, round by round; None unless every round has both."""
    if not rounds or len(rounds) != len(base_rounds) or not all(base_rounds):
        return None
    return statistics.median(a / b for a, b in zip(rounds, base_rounds, strict=True))


def share(page: "Page", base: "Page") -> float | None:
    """The page's req/s as a share of the base page's: paired round by round, else of their median rounds."""
    paired = paired_share(page.rounds, base.rounds)
    if paired is not None:
        return paired
    return page.rps / base.rps if page.rps and base.rps else None


def report_median_round(page: Page, results: list[dict]) -> None:
    """The page's round of median req/s, with that round's latencies; the errors of every round."""
    median = sorted(results, key=lambda result: result["rps"])[(len(results) - 1) // 2]
    page.requests, page.errors = median["requests"], sum(result["errors"] for result in results)
    page.rps = median["rps"]
    page.p50_ms, page.p95_ms, page.p99_ms = median["p50"], median["p95"], median["p99"]
    page.rounds = [round(result["rps"], 1) for result in results]
    page.state = "measured"


# --------------------------------------------------------------------------
# Targets of issue 6 and the report
# --------------------------------------------------------------------------

WHOLE_TABLE_COUNT = re.compile(r'SELECT COUNT\(\*\) AS "__count" FROM "articles_article"\s*$', re.IGNORECASE)


def targets(pages: list[Page]) -> list[dict]:
    by_name = {page.name: page for page in pages}

    def rps(name):
        """Measured req/s, or for a page too slow to load-test the most its workers could serve (marked ≤)."""
        page = by_name.get(name)
        if page and page.state == "measured":
            return page.rps, ""
        if page and page.state == "too slow" and page.single_ms:
            return WORKERS * 1000 / page.single_ms, "≤ "
        return None, ""

    def latency(name, key):
        page = by_name.get(name)
        if page and page.state == "measured":
            return getattr(page, key), ""
        if page and page.state == "too slow" and page.single_ms:
            return page.single_ms, "≥ "
        return None, ""

    def row(target, value, ok, shown):
        return {"target": target, "measured": shown if value is not None else "not measured", "met": ok}

    def fraction(name, base, goal, target):
        (a, mark), (b, base_mark) = rps(name), rps(base)
        value = a / b if a and b else None
        if not mark and not base_mark and value is not None:
            value = share(by_name[name], by_name[base])
        if value is None:
            return row(target, None, False, "")
        shown = f"{'≈ ' if base_mark else mark}{value:.0%}"
        return row(target, value, value >= goal and not mark and not base_mark, shown)

    results = [
        fraction("list", "healthz", 0.12, "uncached article list ≥ 12% of /healthz req/s"),
        fraction("list-cached", "healthz", 0.6, "cached article list ≥ 60% of /healthz req/s"),
    ]
    for name in ("tag-popular", "tag-mid", "tag-rare"):
        results.append(fraction(name, "list", 0.8, f"{by_name[name].label if name in by_name else name} ≥ 80% of list"))
    results.append(fraction("two-tags", "list", 0.7, "two tags ≥ 70% of list"))
    over = []
    for page in pages:
        limit = 4 if page.name in LIST_PAGES else 6 if page.name in DETAIL_PAGES else None
        if limit is not None and page.queries is not None and page.queries > limit:
            over.append(f"{page.name} {page.queries} > {limit}")
    counted = [p for p in pages if p.queries is not None and (p.name in LIST_PAGES or p.name in DETAIL_PAGES)]
    results.append(
        row(
            "list pages ≤ 4 SQL queries, detail pages ≤ 6",
            counted or None,
            bool(counted) and not over,
            "; ".join(over) or "all within",
        )
    )
    (deep, deep_mark), (first, _) = latency("list-deep", "p50_ms"), latency("list", "p50_ms")
    value = deep / first if deep and first else None
    shown = f"{deep_mark}{value:.2f}×" if value else ""
    results.append(row("page 200 within 1.5× page 1's latency (p50)", value, bool(value) and value <= 1.5, shown))
    value, mark = latency("search-selective", "p95_ms")
    shown = f"{mark}{value:.0f} ms" if value else ""
    results.append(row("search, selective term: p95 ≤ 40 ms", value, bool(value) and value <= 40, shown))
    results.append(fraction("search-common", "list", 0.5, "search, common term ≥ 50% of list"))
    changelist = by_name.get("admin-changelist")
    value, mark = latency("admin-changelist", "p95_ms")
    shown = f"{mark}{value:.0f} ms" if value else ""
    results.append(row("admin changelist p95 ≤ 150 ms", value, bool(value) and value <= 150, shown))
    if changelist and changelist.sql:
        exact = any(WHOLE_TABLE_COUNT.search(sql) for sql in changelist.sql)
        results.append(
            row(
                "admin changelist: no exact COUNT of the whole article table",
                True,
                not exact,
                "exact COUNT found" if exact else "none",
            )
        )
    else:
        results.append(row("admin changelist: no exact COUNT of the whole article table", None, False, ""))
    measured = [page for page in pages if page.after_edit_ms and page.warm_ms]
    slow = [f"{p.name} {p.after_edit_ms / p.warm_ms:.1f}×" for p in measured if p.after_edit_ms > 3 * p.warm_ms]
    results.append(
        row(
            "first request after an editorial change ≤ 3× the warm request, every page",
            measured or None,
            bool(measured) and not slow,
            "; ".join(slow) or f"all within (worst {max(p.after_edit_ms / p.warm_ms for p in measured):.1f}×)"
            if measured
            else "",
        )
    )
    # Two archives in one run, each page loaded on one and then the other: bench/scale.py.
    results.append(
        {
            "target": "M → L on PostgreSQL: no page loses more than 20% req/s",
            "measured": "by `make bench-scale` (bench/results/scale.md)",
            "met": None,
        }
    )
    return results


def loads(meta: dict) -> str:
    rounds = meta.get("rounds", 1)
    if rounds == 1:
        return f"for {meta['duration']} s per page"
    return (
        f"{rounds} rounds of {meta['duration']} s per page, the order reversed every other round "
        "(each page's median round)"
    )


def markdown(meta: dict, pages: list[Page], goals: list[dict]) -> str:
    def number(value, pattern):
        return pattern.format(value) if value is not None else "–"

    def edits(page):
        slower = page.after_edit_ms / page.warm_ms if page.after_edit_ms and page.warm_ms else None
        return (
            f"{number(page.warm_ms, '{:.1f}')} | {number(page.after_edit_ms, '{:.1f}')} | {number(slower, '{:.1f}×')}"
        )

    lines = [
        f"Benchmark of {meta['articles']:,} synthetic articles ({meta['tag_links']:,} tag links) "
        f"on {meta['database']}, {meta['date']}: gunicorn with {meta['workers']} sync workers, "
        f"{meta['client']} with {meta['connections']} connections, {loads(meta)}, "
        f"{meta['cpus']} CPUs shared by server and client (load average {meta['load_before']:.1f} before, "
        f"{meta.get('load_after', 0):.1f} after)."
        + (
            f" The page cache is off but for the page marked as on, served by a second gunicorn with the page cache "
            f"in {meta['page_cache']}."
            if meta.get("page_cache")
            else ""
        ),
        "",
        "| page | req/s | × /healthz | p50 ms | p95 ms | p99 ms | errors | SQL queries | SQL ms | first request ms "
        "| warm ms | after an edit ms | × warm |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page in pages:
        label = f"{page.label} `{page.url}`" if len(page.url) <= 60 else page.label
        if page.state != "measured":
            queries = number(page.queries, "{}")
            lines.append(
                f"| {label} | {page.state}: {page.note} | | | | | | {queries} | {number(page.sql_ms, '{:.0f}')} "
                f"| {number(page.cold_ms, '{:.0f}')} | {edits(page)} |"
            )
            continue
        lines.append(
            f"| {label} | {page.rps:.1f} | {number(page.ratio, '{:.0%}')} | {page.p50_ms:.1f} | {page.p95_ms:.1f} | "
            f"{page.p99_ms:.1f} | {page.errors} | {number(page.queries, '{}')} | {number(page.sql_ms, '{:.0f}')} "
            f"| {number(page.cold_ms, '{:.0f}')} | {edits(page)} |"
        )
    lines += [
        "",
        "req/s and latencies come from the load test; SQL queries and SQL ms from one request served in-process "
        "against the same database after a warm-up; first request ms is that page's first request in-process, which "
        "computes what is cached per editorial version; warm ms and after an edit ms are the medians of "
        f"{EDIT_SAMPLES} in-process requests each, warm and just after a publisher's save of a public article's "
        "title (what a reader waits while editors work); "
        "× /healthz is the page's req/s as a share of /healthz's in the same round, the median over the rounds; "
        "so are the targets' shares of the list.",
        "",
        "| target (issue 6) | measured | met |",
        "|---|---|---|",
    ]
    for goal in goals:
        met = "yes" if goal["met"] else ("–" if goal["met"] is None or goal["measured"] == "not measured" else "**no**")
        lines.append(f"| {goal['target']} | {goal['measured']} | {met} |")
    return "\n".join(lines) + "\n"


def database_name(connection) -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    version = connection.pg_version
    return f"PostgreSQL {version // 10000}.{version % 10000}"


def main(choose_only: bool = False) -> None:
    """
    The benchmark; with choose_only (--choose), only the archive made or reused, an admin
    session and the pages picked from it, printed as JSON for bench/scale.py.
    """
    # Stopped from outside, the run still stops its server (the finally below).
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = server_environment()
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DJANGO_", "DATABASE_URL"))})
    if not DATABASE_URL:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    log("Migrating and collecting static files.")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")

    import django

    django.setup()
    from django.db import connection

    from articles.models import Article, TaggedArticle

    prepare_archive(env)
    session_key = admin_session()
    pages = choose_pages()
    if choose_only:
        pages = [page for page in pages if not page.cached]
        chosen = {"articles": Article.objects.count(), "database": database_name(connection), "session": session_key}
        chosen["pages"] = [{"name": p.name, "label": p.label, "url": p.url, "admin": p.admin} for p in pages]
        print(json.dumps(chosen, ensure_ascii=False))
        return
    log("Counting SQL queries per page.")
    count_queries(pages, session_key)
    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": database_name(connection),
        "articles": Article.objects.count(),
        "tag_links": TaggedArticle.objects.count(),
        "seed": SEED,
        "duration": DURATION,
        "rounds": ROUNDS,
        "connections": CONNECTIONS,
        "workers": WORKERS,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        # Anything else running on the machine skews req/s; the ratios to /healthz less so.
        "load_before": os.getloadavg()[0],
    }
    connection.close()
    global PORT
    PORT = PORT or free_port()
    wrk = find_wrk()
    meta["client"] = "wrk" if wrk else "a Python client"
    log(f"Serving with gunicorn on {HOST}:{PORT}; {len(pages)} pages, {ROUNDS} × {DURATION} s each.")
    servers = [start_server(env)]
    cached_port = None
    try:
        if any(page.cached for page in pages):
            # The page cache as production runs it: on, in Redis when there is one (a fresh prefix,
            # so that no page of an earlier run is served), else in each worker's local memory.
            cached_env = {**env, "DJANGO_PAGE_CACHE": "1", "DJANGO_CACHE_PREFIX": f"bench-{secrets.token_hex(6)}"}
            cache_url = page_cache_url()
            if cache_url:
                cached_env["CACHE_URL"] = cache_url
            meta["page_cache"] = "Redis" if cache_url else "local memory"
            cached_port = free_port()
            servers.append(start_server(cached_env, cached_port, "gunicorn-cached.log"))
        measure(pages, session_key, wrk, cached_port)
    finally:
        stop_servers(servers)
        meta["load_after"] = os.getloadavg()[0]
    goals = targets(pages)
    report = markdown(meta, pages, goals)
    data = {
        "meta": meta,
        "pages": [{k: v for k, v in asdict(p).items() if k != "sql"} for p in pages],
        "targets": goals,
    }
    vendor = "postgresql" if DATABASE_URL else "sqlite"
    for name in ("latest", f"latest-{vendor}"):
        (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        (RESULTS / f"{name}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main(choose_only="--choose" in sys.argv[1:])
