"""
Read replicas: where readers may read, and where everyone else must.

DATABASE_REPLICA_URL adds one database alias per replica ("replica",
"replica_2", ...). Writes and migrations always go to "default", the primary.
Reads go to a replica only inside a block that asked for one (replica_reads()),
which ReplicaReadsMiddleware opens for a GET or HEAD of the public site by
someone without a session: the reader pages, the API, the feeds and the
exports. One replica is chosen per request, so a page reads one state of the
archive.

Everything else reads the primary, so nobody who writes ever reads behind their
own writes: the admin, anyone signed in, every POST, management commands,
anything inside a transaction, and the rest of a request once it has written.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse

_replica: ContextVar[str | None] = ContextVar("archive_replica", default=None)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def replica_aliases() -> list[str]:
    return [alias for alias in connections if alias == "replica" or alias.startswith("replica_")]


def reading_replica() -> str | None:
    """The replica that reads come from here and now, or None when they come from the primary."""
    alias = _replica.get()
    if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    return alias


@contextmanager
def replica_reads(alias: str | None = None) -> Iterator[str | None]:
    """Reads in this block may come from a replica: `alias`, or one chosen at random."""
    aliases = replica_aliases()
    if alias is None and aliases:
        alias = random.choice(aliases)  # noqa: S311 (spreading load, not a secret)
    token = _replica.set(alias)
    try:
        yield alias
    finally:
        _replica.reset(token)


def pin_to_primary() -> None:
    """The rest of this block reads the primary."""
    _replica.set(None)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        return reading_replica() or DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        # Whatever this request reads next must include what it is writing now.
        pin_to_primary()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        pool = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if obj1._state.db in pool and obj2._state.db in pool:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def replica_safe(request) -> bool:
    """A public read by someone without a session: a moment's replica lag cannot mislead them."""
    return (
        request.method in SAFE_METHODS
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path_info.startswith(reverse("admin:index"))
        and bool(replica_aliases())
    )


def _streamed_from(alias: str, chunks) -> Iterator:
    """A streamed response (the exports) runs its queries after the view returns: keep them on the replica."""
    chunks = iter(chunks)
    while True:
        with replica_reads(alias):
            try:
                chunk = next(chunks)
            except StopIteration:
                return
        yield chunk


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_safe(request):
            return self.get_response(request)
        with replica_reads() as alias:
            response = self.get_response(request)
            still_on_replica = reading_replica() is not None
        if response.streaming and still_on_replica:
            response.streaming_content = _streamed_from(alias, response.streaming_content)
        return response
