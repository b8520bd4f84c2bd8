"""
The PostgreSQL backend's health check (archive.postgresql): a kept connection
that is idle and quiet is used without a round trip; one the server has closed
is found out and replaced before the next request's first query.
"""

import time

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_backend

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the backend is PostgreSQL's"),
]


@pytest.fixture
def asked(monkeypatch):
    """Each time Django's own check (SELECT 1) runs."""
    calls = []
    original = django_backend.DatabaseWrapper.is_usable

    def is_usable(self):
        calls.append(self.alias)
        return original(self)

    monkeypatch.setattr(django_backend.DatabaseWrapper, "is_usable", is_usable)
    return calls


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_archive_uses_its_own_backend():
    assert connection.settings_dict["ENGINE"] == "archive.postgresql"
    assert type(connections["default"]).__module__ == "archive.postgresql.base"


def test_an_idle_quiet_connection_is_usable_without_asking_the_server(asked):
    backend_pid()
    assert connection.is_usable()
    assert asked == []


def test_a_connection_in_a_transaction_is_asked_as_django_asks_it(asked):
    from django.db import transaction

    with transaction.atomic():
        backend_pid()
        assert connection.is_usable()
    assert asked == ["default"]


def test_a_connection_the_server_closed_is_replaced_before_the_next_query(asked):
    old = backend_pid()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [old])
    finally:
        other.close()
    deadline = time.monotonic() + 10
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert asked, "the server's notice was read and the server asked"
    # What the next request does before its first query (django.db.close_old_connections, then the check).
    connection.health_check_enabled = True
    connection.close_if_unusable_or_obsolete()
    assert backend_pid() != old


def test_pages_run_without_jit_or_parallel_workers():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
