"""Sign-in throttling: repeated failures lock the account and the address, and a publisher lifts the lock."""

import datetime
import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .accounts import make_user

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """These passwords need no protection: hashing each by PBKDF2 would cost most of the module's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client, username, password, address="127.0.0.1", **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address, **extra
    )


def signed_in_as(client):
    return client.get("/admin/").context["user"].username if client.get("/admin/").status_code == 200 else None


def test_fifty_wrong_passwords_then_the_right_one_is_refused_with_a_clear_page(client, settings):
    editor = make_user("editor")
    for _ in range(50):
        assert sign_in(client, editor.username, "wrong").status_code in (200, 429)
    response = sign_in(client, editor.username, "pw")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in locked" in page
    assert f"after {settings.AXES_FAILURE_LIMIT} wrong passwords for “{editor.username}”" in page
    assert "even the right password is refused" in page
    assert "A publisher can lift it sooner" in page
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_the_limit_is_five_failures(client):
    editor = make_user("editor")
    for _ in range(4):
        assert sign_in(client, editor.username, "wrong").status_code == 200
    assert sign_in(client, editor.username, "wrong").status_code == 429
    assert sign_in(client, editor.username, "pw").status_code == 429


def test_a_success_before_the_limit_starts_the_count_again(client):
    editor = make_user("editor")
    for _ in range(2):
        for _ in range(4):
            sign_in(client, editor.username, "wrong")
        assert sign_in(client, editor.username, "pw").status_code == 302
        client.post(reverse("admin:logout"))


def test_the_account_is_locked_from_every_address(client):
    editor = make_user("editor")
    for n in range(5):
        sign_in(client, editor.username, "wrong", address=f"192.0.2.{n + 1}")
    assert sign_in(Client(), editor.username, "pw", address="198.51.100.7").status_code == 429


def test_the_address_is_locked_for_every_account(client):
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", address="192.0.2.9")
    editor = make_user("editor")
    assert sign_in(Client(), editor.username, "pw", address="192.0.2.9").status_code == 429
    assert sign_in(Client(), editor.username, "pw", address="192.0.2.10").status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, settings):
    editor = make_user("editor")
    for _ in range(5):
        sign_in(client, editor.username, "wrong")
    assert sign_in(client, editor.username, "pw").status_code == 429
    # As if the last failure had been longer ago than the cool-off.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(1))
    assert sign_in(client, editor.username, "pw").status_code == 302


def test_a_lockout_is_logged_and_each_failure_recorded(client, caplog):
    editor = make_user("editor")
    with caplog.at_level(logging.WARNING, logger="axes"):
        for _ in range(5):
            sign_in(client, editor.username, "wrong")
    assert any("Locking out" in record.getMessage() for record in caplog.records)
    assert AccessFailureLog.objects.filter(username=editor.username).count() == 5
    assert AccessFailureLog.objects.filter(username=editor.username, locked_out=True).exists()


def test_a_publisher_unlocks_an_account_from_the_admin(client):
    editor = make_user("editor")
    for _ in range(50):
        sign_in(client, editor.username, "wrong")
    publisher = Client()
    publisher.force_login(make_user("publisher"))
    listing = publisher.get(reverse("admin:axes_accessattempt_changelist"), {"q": editor.username})
    assert listing.status_code == 200
    assert "Locked Out" in listing.content.decode()
    attempts = AccessAttempt.objects.filter(username=editor.username)
    response = publisher.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=editor.username).exists()
    assert sign_in(client, editor.username, "pw").status_code == 302
    assert signed_in_as(client) == editor.username


def test_an_editor_cannot_see_or_lift_locks():
    editor = Client()
    editor.force_login(make_user("editor"))
    assert editor.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


def test_the_reset_command_unlocks_an_account(client):
    editor = make_user("editor")
    for _ in range(5):
        sign_in(client, editor.username, "wrong")
    call_command("axes_reset_username", editor.username)
    assert sign_in(client, editor.username, "pw").status_code == 302


def test_behind_a_trusted_proxy_the_address_it_saw_is_locked(client, settings):
    settings.ARCHIVE_TRUSTED_PROXIES = 1
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5")
    editor = make_user("editor")
    # Another reader behind the same proxy is not locked; the one who failed is.
    assert sign_in(Client(), editor.username, "pw", "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302
    assert sign_in(Client(), editor.username, "pw", "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429


def test_a_forwarded_address_that_is_not_an_address_counts_as_the_peer(client, settings):
    settings.ARCHIVE_TRUSTED_PROXIES = 1
    editor = make_user("editor")
    response = sign_in(client, editor.username, "wrong", "10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address\x00")
    assert response.status_code == 200
    assert AccessAttempt.objects.get(username=editor.username).ip_address == "10.0.0.2"


def test_client_login_with_a_request_and_force_login_still_sign_in(client):
    from django.http import HttpRequest

    editor = make_user("editor")
    assert client.login(request=HttpRequest(), username=editor.username, password="pw")
    other = Client()
    other.force_login(editor)
    assert other.get("/admin/").status_code == 200
