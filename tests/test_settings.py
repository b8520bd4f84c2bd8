"""Production settings refuse to start unsafe; the deployment checks pass when they are right."""

import base64
import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = secrets.token_urlsafe(64)
# Fixed, so that every test worker collects the same parameters; as random as `openssl rand -hex 32`.
HEX_KEY = hashlib.sha256(b"archive").hexdigest()
URLSAFE_KEY = base64.urlsafe_b64encode(hashlib.sha512(b"archive").digest()).decode()


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    # A database without tables, as on a fresh clone: the checks must not need any.
    environment["DJANGO_SQLITE_PATH"] = str(ROOT / ".pytest-empty.sqlite3.tmp")
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="archive.example.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_or_a_short_key():
    for key in ("django-insecure-local-development-only", "short"):
        result = manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=key, DJANGO_ALLOWED_HOSTS="a.example.org")
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "x" * 80,  # long, one character
        "ab" * 40,  # two characters, Django's own check would pass five
        "abcdefghi" * 8,  # nine distinct characters
        "0123456789abcdef" * 4,  # enough distinct characters, but one pattern repeated
        HEX_KEY[:49],  # random but one character short
    ],
)
def test_production_refuses_a_weak_secret_key(key):
    result = manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=key, DJANGO_ALLOWED_HOSTS="a.example.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters" in result.stderr


@pytest.mark.parametrize("key", [HEX_KEY, URLSAFE_KEY])
def test_production_accepts_a_random_hex_or_urlsafe_key(key):
    result = manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=key, DJANGO_ALLOWED_HOSTS="a.example.org")
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr


def test_deployment_checks_pass_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="archive.example.org",
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("debug", ["1", "true"])
def test_deployment_checks_fail_with_debug_on(debug):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG=debug,
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="archive.example.org",
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr


def test_sqlite_is_tuned_for_concurrent_writers():
    from django.conf import settings

    options = settings.DATABASES["default"].get("OPTIONS", {})
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("PostgreSQL run")
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]
