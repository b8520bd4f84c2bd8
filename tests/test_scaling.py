"""
The production profile: stateless processes, a primary with read replicas, one Redis shared by all.

Reads from a replica where readers cannot be misled, never where someone writes; a
Redis that is down makes the site slower, never broken or stale; two gunicorn
workers share the editorial version through Redis.
"""

import concurrent.futures
import copy
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from django.db import connections
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive import routers
from archive import settings as archive_settings
from articles import cache, workflow
from articles.models import Article, Status
from tests.accounts import make_user
from tests.conftest import make_article

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("ARCHIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _replica_alias(django_db_setup):
    """
    A "replica" alias as DATABASE_REPLICA_URL makes it: as in any test run (TEST MIRROR),
    a second connection to the test database. Defined before any test of the module
    starts, so a test may name it among its databases.
    """
    default = connections["default"].settings_dict
    config = copy.deepcopy(default)
    config["TEST"] = {**default["TEST"], "MIRROR": "default"}
    connections.settings["replica"] = config
    yield "replica"
    connections["replica"].close()
    del connections["replica"]
    del connections.settings["replica"]


@pytest.fixture
def replica(_replica_alias, settings):
    """The replica alias, with the router installed."""
    settings.DATABASE_ROUTERS = ["archive.routers.PrimaryReplicaRouter"]
    return _replica_alias


@pytest.fixture
def dead_redis(settings, monkeypatch):
    """The cache as production configures it from CACHE_URL, pointed at a port where nothing listens."""
    monkeypatch.setenv("CACHE_URL", DEAD_REDIS_URL)
    settings.CACHES = {"default": archive_settings._cache_from_env()}
    settings.ARCHIVE_PAGE_CACHE = True
    return settings


@pytest.fixture
def live_redis():
    """A Redis to share; without one the test is skipped, except in CI where it fails."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"archive-test-{secrets.token_hex(6)}"
    yield SimpleNamespace(url=REDIS_URL, prefix=prefix, client=client)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


# --------------------------------------------------------------------------
# The router, on its own
# --------------------------------------------------------------------------


def test_reads_go_to_the_primary_unless_a_block_asks_for_a_replica(replica):
    router = routers.PrimaryReplicaRouter()
    assert router.db_for_read(Article) == "default"
    with routers.replica_reads():
        assert router.db_for_read(Article) == "replica"
    assert router.db_for_read(Article) == "default"


def test_writes_go_to_the_primary_and_pin_later_reads_to_it(replica):
    router = routers.PrimaryReplicaRouter()
    with routers.replica_reads():
        assert router.db_for_write(Article) == "default"
        assert router.db_for_read(Article) == "default"
    with routers.replica_reads():
        assert router.db_for_read(Article) == "replica"


def test_reads_inside_a_transaction_go_to_the_primary(replica, monkeypatch):
    monkeypatch.setattr(connections["default"], "in_atomic_block", True)
    with routers.replica_reads():
        assert routers.PrimaryReplicaRouter().db_for_read(Article) == "default"


def test_migrations_run_on_the_primary_only(replica):
    router = routers.PrimaryReplicaRouter()
    assert router.allow_migrate("default", "articles", model_name="article") is True
    assert router.allow_migrate("replica", "articles", model_name="article") is False


def test_relations_are_allowed_between_primary_and_replica_objects(replica):
    router = routers.PrimaryReplicaRouter()

    def loaded_from(alias):
        article = Article()
        article._state.db = alias
        return article

    assert router.allow_relation(loaded_from("default"), loaded_from("replica")) is True
    assert router.allow_relation(loaded_from("replica"), loaded_from("replica")) is True
    assert router.allow_relation(loaded_from("default"), loaded_from("elsewhere")) is None


def test_only_anonymous_public_reads_are_replica_safe(replica):
    factory = RequestFactory()
    assert routers.replica_safe(factory.get("/articles/"))
    assert routers.replica_safe(factory.get("/api/articles/"))
    assert routers.replica_safe(factory.head("/export/events.csv"))
    assert not routers.replica_safe(factory.post("/search/"))
    assert not routers.replica_safe(factory.get("/admin/articles/article/"))
    signed_in = factory.get("/articles/")
    signed_in.COOKIES["sessionid"] = "anything"
    assert not routers.replica_safe(signed_in)


def test_without_replicas_nothing_is_replica_safe(monkeypatch):
    monkeypatch.delitem(connections.settings, "replica", raising=False)
    assert not routers.replica_safe(RequestFactory().get("/articles/"))
    with routers.replica_reads() as alias:
        assert alias is None
        assert routers.reading_replica() is None


# --------------------------------------------------------------------------
# Settings: DATABASE_REPLICA_URL
# --------------------------------------------------------------------------


def test_each_replica_url_is_an_alias_configured_like_the_primary_and_mirrored_in_tests(monkeypatch):
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://reader@db-2:5432/archive, postgres://reader@db-3/archive")
    monkeypatch.setenv("DJANGO_CONN_MAX_AGE", "60")
    replicas = archive_settings._replicas_from_env()
    assert list(replicas) == ["replica", "replica_2"]
    assert [config["HOST"] for config in replicas.values()] == ["db-2", "db-3"]
    for config in replicas.values():
        assert config["ENGINE"] == "archive.postgresql"
        assert config["OPTIONS"]["options"] == "-c jit=off -c max_parallel_workers_per_gather=0"
        assert config["CONN_MAX_AGE"] == 60
        assert config["CONN_HEALTH_CHECKS"] is True
        assert config["TEST"] == {"MIRROR": "default"}


def run_manage_environment() -> dict[str, str]:
    """This process's environment without the archive's settings: each test gives its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CACHE_"))}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**run_manage_environment(), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


SHOW_DATABASES = "from django.conf import settings; print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS)"


def test_the_router_is_installed_only_with_replicas(tmp_path):
    alone = run_manage("shell", "-c", SHOW_DATABASES, DJANGO_SQLITE_PATH=str(tmp_path / "primary.sqlite3"))
    assert alone.returncode == 0, alone.stderr
    assert "['default'] []" in alone.stdout
    replicas = f"sqlite:///{tmp_path / 'a.sqlite3'},sqlite:///{tmp_path / 'b.sqlite3'}"
    both = run_manage(
        "shell",
        "-c",
        SHOW_DATABASES,
        DJANGO_SQLITE_PATH=str(tmp_path / "primary.sqlite3"),
        DATABASE_REPLICA_URL=replicas,
    )
    assert both.returncode == 0, both.stderr
    assert "['default', 'replica', 'replica_2'] ['archive.routers.PrimaryReplicaRouter']" in both.stdout


def test_production_settings_with_replicas_pass_the_deployment_checks(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="archive.example.org",
        DJANGO_SQLITE_PATH=str(tmp_path / "primary.sqlite3"),
        DATABASE_REPLICA_URL=f"sqlite:///{tmp_path / 'replica.sqlite3'}",
        CACHE_URL="redis://127.0.0.1:6379/1",
    )
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------
# Requests through the router
# --------------------------------------------------------------------------


PUBLIC_PAGES = [
    "/",
    "/articles/",
    "/articles/?tag=benghazi",
    "/tags/benghazi/",
    "/search/?q=Khribish",
    "/api/articles/",
    "/feeds/articles/",
    "/export/events.csv",
]


def fetch(client, url, **extra):
    response = client.get(url, **extra)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode()


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_anonymous_public_pages_read_from_the_replica_and_never_the_primary(client, replica):
    article = make_article(permitted=True, title="Fighting in Khribish", tags=["Benghazi"])
    for url in [*PUBLIC_PAGES, article.get_absolute_url()]:
        with (
            CaptureQueriesContext(connections["default"]) as primary,
            CaptureQueriesContext(connections[replica]) as ro,
        ):
            response, body = fetch(client, url)
        assert response.status_code == 200, url
        if url not in ("/export/events.csv",):
            assert "Fighting in Khribish" in body, url
        assert len(primary) == 0, (url, [q["sql"] for q in primary.captured_queries])
        assert len(ro) > 0 or url in ("/", "/articles/", "/tags/benghazi/"), url


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_an_admin_post_reads_and_writes_the_primary_only(client, replica):
    article = make_article(permitted=True, title="Report to withdraw")
    client.force_login(make_user("superuser"))
    url = reverse("admin:articles_article_withdraw", args=[article.pk])
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[replica]) as ro:
        response = client.post(url, {"reason": "The rights holder asked us to."})
        form = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert response.status_code == 302
    assert form.status_code == 200
    assert len(ro) == 0, [q["sql"] for q in ro.captured_queries]
    statements = [q["sql"].split()[0].upper() for q in primary.captured_queries]
    assert "SELECT" in statements
    assert "UPDATE" in statements
    assert Article.objects.get(pk=article.pk).status == Status.WITHDRAWN
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 410


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_public_request_that_writes_reads_the_primary_afterwards(replica):
    make_article(permitted=True, title="Read after the write")
    with routers.replica_reads():
        with CaptureQueriesContext(connections[replica]) as ro:
            assert Article.objects.public().count() == 1
        make_article(permitted=True, title="Just written")
        with CaptureQueriesContext(connections["default"]) as primary:
            assert Article.objects.public().count() == 2
    # The count, each time on one database (the primary may also be asked when the editorial
    # version's next scheduled change is, once per version: articles.cache).
    assert len([q for q in ro.captured_queries if '"articles_article"' in q["sql"]]) == 1
    assert len([q for q in primary.captured_queries if '"articles_article"' in q["sql"]]) == 1


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_page_read_from_a_replica_is_kept_under_the_version_the_replica_holds(client, replica, settings):
    settings.ARCHIVE_PAGE_CACHE = True
    make_article(permitted=True, title="Fresh change")
    client.get("/articles/")
    with CaptureQueriesContext(connections[replica]) as ro:
        assert "Fresh change" in client.get("/articles/").content.decode()
    # A replica behind the primary holds an older version too: what it answers is kept under its own.
    assert [q["sql"] for q in ro.captured_queries] and all(
        "archive_editorial_version" in q["sql"] for q in ro.captured_queries
    )


# --------------------------------------------------------------------------
# Redis down
# --------------------------------------------------------------------------


def test_the_redis_cache_gives_up_in_a_fraction_of_a_second(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://cache.internal:6379/1")
    options = archive_settings._cache_from_env()["OPTIONS"]
    assert options["socket_connect_timeout"] <= 0.5
    assert options["socket_timeout"] <= 1


@pytest.mark.django_db
def test_with_redis_down_every_public_page_answers_200_uncached(client, dead_redis, caplog):
    article = make_article(permitted=True, title="Fighting in Khribish", tags=["Benghazi"])
    make_article(title="Draft nobody sees", status=Status.DRAFT, tags=["Benghazi"])
    caplog.set_level(logging.WARNING, logger="articles.cache")
    started = time.monotonic()
    for url in [*PUBLIC_PAGES, article.get_absolute_url(), "/events/", "/actors/", "/tags/"]:
        for _ in range(2):
            response, body = fetch(client, url)
            assert response.status_code == 200, url
            assert "Draft nobody sees" not in body, url
            if url not in ("/export/events.csv", "/events/", "/actors/", "/tags/"):
                assert "Fighting in Khribish" in body, url
    assert time.monotonic() - started < 30
    warnings = [record for record in caplog.records if record.name == "articles.cache"]
    assert len(warnings) == 1
    assert "ConnectionError" in warnings[0].getMessage()


@pytest.mark.django_db
def test_with_redis_down_a_withdrawal_shows_at_the_next_request(client, dead_redis):
    publisher = make_user("publisher")
    article = make_article(permitted=True, title="Report to withdraw", tags=["Benghazi"])
    assert client.get(article.get_absolute_url()).status_code == 200
    assert "Report to withdraw" in client.get("/tags/benghazi/").content.decode()
    workflow.withdraw(article=article, user=publisher, reason="The rights holder asked us to.")
    assert client.get(article.get_absolute_url()).status_code == 410
    for url in ("/articles/", "/articles/?tag=benghazi", "/search/?q=withdraw", "/api/articles/", "/feeds/articles/"):
        response, body = fetch(client, url)
        assert response.status_code == 200, url
        assert "Report to withdraw" not in body, url
    assert client.get("/tags/benghazi/").status_code == 404


class FlakyCache:
    """Makes the test's cache fail as a Redis that went away does, until it is told to come back."""

    METHODS = ("get", "set", "add", "get_many", "delete")

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def go_down(self):
        from django.core.cache import caches

        backend = caches["default"]

        def refuse(*args, **kwargs):
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        for name in self.METHODS:
            self.monkeypatch.setattr(backend, name, refuse)

    def come_back(self):
        self.monkeypatch.undo()
        # As if the process's pause after the failure had run out.
        for health in cache._health.values():
            health.retry_at = 0.0


@pytest.mark.django_db
def test_pages_kept_before_an_outage_are_not_served_after_it_when_a_change_happened_during_it(
    client, monkeypatch, settings
):
    settings.ARCHIVE_PAGE_CACHE = True
    publisher = make_user("publisher")
    article = make_article(permitted=True, title="Withdrawn during the outage")
    assert "Withdrawn during the outage" in client.get("/articles/").content.decode()
    assert client.get(article.get_absolute_url()).status_code == 200
    flaky = FlakyCache(monkeypatch)
    flaky.go_down()
    workflow.withdraw(article=article, user=publisher, reason="Asked to.")
    assert client.get(article.get_absolute_url()).status_code == 410
    flaky.come_back()
    assert client.get(article.get_absolute_url()).status_code == 410
    assert "Withdrawn during the outage" not in client.get("/articles/").content.decode()


@pytest.mark.django_db
def test_after_an_outage_pages_are_cached_again(client, monkeypatch, settings):
    settings.ARCHIVE_PAGE_CACHE = True
    make_article(permitted=True, title="Cached again")
    flaky = FlakyCache(monkeypatch)
    flaky.go_down()
    assert client.get("/articles/").status_code == 200
    flaky.come_back()
    client.get("/articles/")
    with CaptureQueriesContext(connections["default"]) as captured:
        assert "Cached again" in client.get("/articles/").content.decode()
    assert [q["sql"] for q in captured.captured_queries if "archive_editorial_version" not in q["sql"]] == []


# --------------------------------------------------------------------------
# Two gunicorn workers, one Redis
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (http://127.0.0.1 only)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def manage(env: dict[str, str], *args: str) -> str:
    result = run_manage(*args, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout


class AccessLog:
    """gunicorn's access log, one "pid status path" line per request."""

    def __init__(self, path: Path):
        self.path = path
        self.seen = 0

    def since_last_read(self) -> list[tuple[str, int]]:
        lines = self.path.read_text().splitlines()
        new, self.seen = lines[self.seen :], len(lines)
        return [(line.split()[0], int(line.split()[1])) for line in new if line.strip()]


def every_worker_answers(url: str, log: AccessLog, workers: int) -> dict[str, set[int]]:
    """Requests, a few at a time so both workers take some, until each worker has answered; statuses by worker."""
    answers: dict[str, set[int]] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(50):
            list(pool.map(status_of, [url] * 4))
            time.sleep(0.2)
            for pid, status in log.since_last_read():
                answers.setdefault(pid, set()).add(status)
            if len(answers) == workers:
                break
    return answers


def test_two_gunicorn_workers_share_the_editorial_version_through_redis(tmp_path, live_redis):
    env = {
        "DJANGO_SQLITE_PATH": str(tmp_path / "live.sqlite3"),
        "CACHE_URL": live_redis.url,
        "DJANGO_CACHE_PREFIX": live_redis.prefix,
        "DJANGO_PAGE_CACHE": "1",
        # Debug only spares the test a collectstatic into the working tree; nothing here depends on it.
        "DJANGO_DEBUG": "1",
    }
    manage(env, "migrate", "-v0")
    manage(env, "load_sample", "-v0")
    slug = manage(
        env, "shell", "-c", "from articles.models import Article; print(Article.objects.public().first().slug)"
    ).split()[-1]
    port = free_port()
    log = AccessLog(tmp_path / "access.log")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "archive.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            str(log.path),
            "--access-logformat",
            "%(p)s %(s)s %(U)s",
        ],
        cwd=ROOT,
        env={**run_manage_environment(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if status_of(f"{base}/healthz") == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.3)
        url = f"{base}/articles/{slug}/"
        log.since_last_read()
        before = every_worker_answers(url, log, workers=2)
        assert len(before) == 2, f"not every worker answered: {before}"
        assert all(statuses == {200} for statuses in before.values()), before
        assert list(live_redis.client.scan_iter(match=f"{live_redis.prefix}:*archive:page:*"))

        # The withdrawal comes from a third process, as an editor's request would on another machine.
        manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User\n"
            "from articles import workflow\n"
            "from articles.models import Article\n"
            "user = User.objects.create_superuser('publisher', password='unused-here')\n"
            f"workflow.withdraw(article=Article.objects.get(slug='{slug}'), user=user, reason='Rights withdrawn.')\n",
        )
        after = every_worker_answers(url, log, workers=2)
        assert len(after) == 2, f"not every worker answered: {after}"
        assert all(statuses == {410} for statuses in after.values()), after
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors, errors


def test_the_redis_cache_builds_one_client_for_every_call(monkeypatch, live_redis):
    """Django's own builds a redis.Redis per call, each copying redis-py's table of callbacks."""
    from django.utils.module_loading import import_string

    monkeypatch.setenv("CACHE_URL", live_redis.url)
    monkeypatch.setenv("DJANGO_CACHE_PREFIX", live_redis.prefix)
    config = archive_settings._cache_from_env()
    assert config["BACKEND"] == "archive.redis_cache.RedisCache"
    cache = import_string(config["BACKEND"])(config["LOCATION"], config)
    client = cache._cache.get_client()
    cache.set("greeting", "salam", 30)
    assert cache.get_many(["greeting", "absent"]) == {"greeting": "salam"}
    assert cache.delete("greeting") and cache.get("greeting") is None
    assert cache._cache.get_client() is client and cache._cache.get_client(write=True) is client
