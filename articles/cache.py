"""
The editorial version, and what is cached under it.

Anything the reader site computes from Article.objects.public() (pagination
totals, tag and actor counts, whole pages) is cached under a key holding the
current editorial version: a token in Django's cache that every editorial
change replaces (articles.signals; bulk paths call bump() themselves). A new
token makes every older entry unreachable, so nothing cached outlives the
change that made it wrong.

Whether an article is public also depends on the clock: a permission can be
granted from tomorrow, expire tonight or be revoked at a set time. Each token
therefore carries the moment the next such change happens (the next midnight,
or the next scheduled revocation if sooner) and is replaced once it passes.

The token lives in the cache that holds the entries. The local-memory default
is per process: with several server processes and editors at work, set
CACHE_URL to a shared cache (Redis) so a change in one process reaches all.
"""

import datetime
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

VERSION_KEY = "archive:version"
UNTIL_KEY = "archive:version-until"
_MISSING = object()


def _new_token() -> str:
    return f"{time.time_ns():x}{secrets.token_hex(4)}"


def _next_change(now: datetime.datetime) -> datetime.datetime:
    """When public() may next answer differently without anyone changing anything."""
    from .models import RepublicationPermission

    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    midnight = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time.min))
    revocation = (
        RepublicationPermission.objects.filter(revoked_at__gt=now)
        .order_by("revoked_at")
        .values_list("revoked_at", flat=True)
        .first()
    )
    return min(midnight, revocation) if revocation else midnight


def bump() -> str:
    """Replace the editorial version: everything cached under the old one is gone for readers."""
    token = _new_token()
    cache.set(VERSION_KEY, token, timeout=None)
    return token


def _bump_after_commit() -> None:
    bump()


def editorial_change(using: str = DEFAULT_DB_ALIAS) -> None:
    """
    Bump now and again when the surrounding transaction commits: a reader served
    between the two would otherwise cache what the transaction had not yet written.
    """
    bump()
    connection = connections[using]
    # One pending bump per transaction is enough, however many rows it writes.
    pending = any(func is _bump_after_commit for _, func, _ in connection.run_on_commit)
    if connection.in_atomic_block and not pending:
        transaction.on_commit(_bump_after_commit, using=using)


def version() -> str:
    values = cache.get_many([VERSION_KEY, UNTIL_KEY])
    token = values.get(VERSION_KEY)
    if token is None:
        cache.add(VERSION_KEY, _new_token(), timeout=None)
        token = cache.get(VERSION_KEY)
        if token is None:  # a cache that keeps nothing (DummyCache): nothing is ever reused
            return _new_token()
    until = values.get(UNTIL_KEY)
    now = timezone.now()
    if until is None or until[0] != token:
        until = (token, _next_change(now))
        cache.set(UNTIL_KEY, until, timeout=None)
    if now >= until[1]:
        return bump()
    return token


def seconds_left(token: str) -> int:
    """How long an entry made under `token` is worth keeping, at most CACHE_SECONDS."""
    until = cache.get(UNTIL_KEY)
    limit = settings.ARCHIVE_CACHE_SECONDS
    if until is None or until[0] != token:
        return limit
    return max(1, min(limit, int((until[1] - timezone.now()).total_seconds())))


def key(name: str, *parts: Any, token: str | None = None) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32] if parts else "-"
    return f"archive:{name}:{token or version()}:{digest}"


def store(name: str, parts: tuple, value: Any) -> None:
    token = version()
    cache.set(key(name, *parts, token=token), value, timeout=seconds_left(token))


def cached(name: str, parts: tuple, compute: Callable[[], Any]) -> Any:
    """compute(), kept for the current editorial version under `name` and `parts`."""
    token = version()
    entry = key(name, *parts, token=token)
    value = cache.get(entry, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(entry, value, timeout=seconds_left(token))
    return value
