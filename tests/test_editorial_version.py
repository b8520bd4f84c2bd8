"""
The editorial version is kept by the database: every change to what readers may
see moves it, whatever process or path made it, and every process serves the
change at its next request.
"""

import concurrent.futures
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from archive import editorial_version
from articles import cache
from articles.models import Article, ArticleActor, ProvenanceRecord
from register.models import Actor, Tag
from tests.conftest import make_actor, make_article
from tests.test_scaling import AccessLog, free_port, run_manage, run_manage_environment

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def stored() -> editorial_version.Version:
    return editorial_version.read()


def test_every_editorial_table_carries_the_trigger():
    tables = editorial_version.editorial_tables()
    assert {"articles_article", "articles_republicationpermission", "articles_taggedarticle", "register_actor"} <= set(
        tables
    )
    assert not [table for table in tables if "historical" in table]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT event_object_table FROM information_schema.triggers WHERE trigger_name = %s",
                ["archive_editorial_change"],
            )
            triggered = {row[0] for row in cursor.fetchall()}
            assert set(tables) <= triggered
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'archive_editorial_%'")
            triggered = {row[0] for row in cursor.fetchall()}
            assert {
                f"archive_editorial_{table}_{event}" for table in tables for event in ("insert", "update", "delete")
            } <= (triggered)


def test_raw_sql_bulk_writes_and_orm_writes_all_move_the_version():
    article = make_article(permitted=True, title="Moved")
    actor = make_actor(name="Brigade 166")
    seen = {stored().token}
    writes = [
        lambda: Article.objects.filter(pk=article.pk).update(title="Moved again"),
        lambda: ArticleActor.objects.bulk_create([ArticleActor(article=article, actor=actor)]),
        lambda: Tag.objects.create(name="Sirte"),
        lambda: article.permissions.update(revocation_reason="Asked to stop.", revoked_at=timezone.now()),
        lambda: Actor.objects.filter(pk=actor.pk).update(name="Brigade 166 (Misrata)"),
    ]
    for write in writes:
        write()
        token = stored().token
        assert token not in seen
        seen.add(token)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM articles_articleactor")
    assert stored().token not in seen


def test_a_history_record_alone_does_not_move_the_version():
    article = make_article(permitted=True)
    before = stored().token
    article.history.model.objects.filter(id=article.pk).update(history_change_reason="noted")
    assert stored().token == before


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="SQLite lets one connection at a time write: it has nothing to read half-way",
)
@pytest.mark.django_db(transaction=True)
def test_other_connections_see_a_change_only_when_it_commits():
    other = connections.create_connection("default")
    try:
        committed = editorial_version.read().counter
        with transaction.atomic():
            make_article(permitted=True, title="Not yet")
            mine = editorial_version.read()
            assert mine.uncommitted  # the transaction's own view is named apart from everyone's
            other.ensure_connection()
            with other.cursor() as cursor:
                cursor.execute("SELECT counter FROM archive_editorial_version")
                assert cursor.fetchone()[0] == committed
        with other.cursor() as cursor:
            cursor.execute("SELECT counter FROM archive_editorial_version")
            assert cursor.fetchone()[0] == committed + 1  # one move for the whole transaction
        assert editorial_version.read().uncommitted == ""
    finally:
        other.close()


def test_a_rolled_back_change_never_lends_its_version_to_another(client):
    article = make_article(permitted=True, title="Before the rollback")
    url = article.get_absolute_url()
    with pytest.raises(RuntimeError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(title="Rolled back")
        assert "Rolled back" in client.get(url).content.decode()
        raise RuntimeError
    Article.objects.filter(pk=article.pk).update(title="Committed instead")
    assert "Committed instead" in client.get(url).content.decode()


def test_provenance_and_register_changes_move_the_version_too():
    article = make_article(permitted=True)
    before = stored().token
    ProvenanceRecord.objects.filter(article=article).count()
    assert stored().token == before  # reading moves nothing
    make_actor(name="Shura Council")
    assert stored().token != before


def test_a_request_reads_the_version_once_and_again_after_it_writes(monkeypatch):
    with cache.one_version():
        first = cache.version()
        assert cache.version() == first
        make_article(permitted=True)
        assert cache.version() != first


# --------------------------------------------------------------------------
# Two gunicorn workers with their own local-memory caches, and a third process
# --------------------------------------------------------------------------


@pytest.fixture
def live_database(tmp_path):
    """A database of its own, on the engine the suite runs on."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield {"DJANGO_SQLITE_PATH": str(tmp_path / "live.sqlite3")}
        return
    name = f"archive_live_{uuid.uuid4().hex[:10]}"
    admin = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": urllib.parse.urlsplit(url)._replace(path=f"/{name}").geturl()}
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str) -> str:
    result = run_manage(*args, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def shell(env: dict[str, str], code: str) -> str:
    return manage(env, "shell", "-c", code)


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (http://127.0.0.1 only)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def from_every_worker(url: str, log: AccessLog, workers: int = 2) -> list[tuple[int, str]]:
    """Every answer to `url`, asked a few at a time until each worker has answered at least once."""
    answers: list[tuple[int, str]] = []
    pids: set[str] = set()
    log.since_last_read()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(50):
            answers += pool.map(fetch, [url] * 4)
            time.sleep(0.1)
            pids |= {pid for pid, _ in log.since_last_read()}
            if len(pids) >= workers:
                return answers
    pytest.fail(f"not every worker answered {url}: {pids}")


@pytest.fixture
def two_workers(tmp_path, live_database):
    env = {
        **live_database,
        # No CACHE_URL: each worker keeps pages and counts in its own local memory.
        "DJANGO_PAGE_CACHE": "1",
        # Debug only spares the test a collectstatic into the working tree; nothing here depends on it.
        "DJANGO_DEBUG": "1",
    }
    manage(env, "migrate", "-v0")
    manage(env, "load_sample", "-v0")
    port = free_port()
    log = AccessLog(tmp_path / "access.log")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            *(str(gunicorn), "archive.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"),
            *("--access-logfile", str(log.path), "--access-logformat", "%(p)s %(s)s %(U)s"),
        ],
        cwd=ROOT,
        env={**run_manage_environment(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if fetch(f"{base}/healthz")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.3)
    try:
        yield env, base, log
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
        assert "Traceback" not in errors, errors


PUBLIC_ARTICLES = (
    "import json\nfrom articles.models import Article\n"
    "print(json.dumps([[a.slug, a.title] for a in Article.objects.public().order_by('pk')]))"
)


def test_changes_from_another_process_reach_every_worker_at_its_next_request(two_workers):
    env, base, log = two_workers
    (first, first_title), (second, second_title), (third, _), *_ = json.loads(
        shell(env, PUBLIC_ARTICLES).splitlines()[-1]
    )
    pages = [f"{base}/articles/{slug}/" for slug in (first, second, third)] + [f"{base}/articles/"]
    for url in pages:  # each worker keeps each page
        assert all(status == 200 for status, _ in from_every_worker(url, log)), url

    # A withdrawal through the workflow, in a management command's process.
    shell(
        env,
        "from django.contrib.auth.models import User\nfrom articles import workflow\n"
        "from articles.models import Article\n"
        "user = User.objects.create_superuser('publisher', password='unused-here')\n"
        f"workflow.withdraw(article=Article.objects.get(slug='{first}'), user=user, reason='Rights withdrawn.')",
    )
    assert {status for status, _ in from_every_worker(f"{base}/articles/{first}/", log)} == {410}
    assert all(first_title not in body for _, body in from_every_worker(f"{base}/articles/", log))

    # A revocation by a bulk update, which sends no signal.
    shell(
        env,
        "from django.utils import timezone\nfrom articles.models import Article, RepublicationPermission\n"
        f"article = Article.objects.get(slug='{second}')\n"
        "RepublicationPermission.objects.covering(article).update("
        "revoked_at=timezone.now(), revocation_reason='The agreement ended.')",
    )
    assert 200 not in {status for status, _ in from_every_worker(f"{base}/articles/{second}/", log)}
    assert all(second_title not in body for _, body in from_every_worker(f"{base}/articles/", log))
    assert all(second not in body for _, body in from_every_worker(f"{base}/api/articles/", log))

    # Raw SQL, as a database administrator would write it.
    retitle = "UPDATE articles_article SET title = 'Retitled by hand' WHERE slug = %s"
    shell(env, f"from django.db import connection\nconnection.cursor().execute({retitle!r}, [{third!r}])")
    answers = from_every_worker(f"{base}/articles/{third}/", log)
    assert all(status == 200 and "Retitled by hand" in body for status, body in answers)
