"""Headers every response carries, and requests refused before they reach a view."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/admin/login/", "/"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_bad_host_header_is_refused_with_400(client):
    response = client.get("/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400


def test_a_database_that_goes_away_gives_503_and_the_next_request_recovers(client, monkeypatch):
    from django.db import OperationalError
    from django.db.models.sql.compiler import SQLCompiler

    real_execute = SQLCompiler.execute_sql
    calls = {"n": 0}

    def failing_once(self, *args, **kwargs):
        if calls["n"] == 0:
            calls["n"] += 1
            raise OperationalError("server closed the connection unexpectedly")
        return real_execute(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "execute_sql", failing_once)
    response = client.get("/articles/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert b"temporarily unavailable" in response.content
    assert client.get("/articles/").status_code == 200
