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

A cache that fails (Redis down or unreachable) is a slower site, never a broken
or stale one: while it fails the version is unknown, so nothing cached is
trusted and every page is computed afresh; the process leaves the cache alone
for RETRY_SECONDS after each failure, and replaces the version when it reaches
the cache again, since an editorial change may have happened meanwhile.

With read replicas (archive.routers), a page read from a replica just after a
change may not show it yet: it is served, but not cached under a version
younger than ARCHIVE_REPLICA_LAG_SECONDS.
"""

import collections
import contextlib
import contextvars
import datetime
import hashlib
import logging
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone

from archive.routers import reading_replica

logger = logging.getLogger(__name__)

VERSION_KEY = "archive:version"
UNTIL_KEY = "archive:version-until"
RETRY_SECONDS = 5
_MISSING = object()

# Within one_version(): the version this request read first (None until then); outside it, _UNSCOPED.
_UNSCOPED = object()
_request_token: contextvars.ContextVar[Any] = contextvars.ContextVar("archive_version", default=_UNSCOPED)


def _new_token() -> str:
    return f"{time.time_ns():x}{secrets.token_hex(4)}"


def _token_age(token: str) -> float:
    try:
        return time.time() - int(token[:-8], 16) / 1e9
    except ValueError:
        return float("inf")


@dataclass
class _Health:
    retry_at: float = 0.0
    failed: bool = False


# Per cache backend instance (Django makes one per thread), so a test or a thread
# that configures another cache starts with a clean slate.
_health: "weakref.WeakKeyDictionary[Any, _Health]" = weakref.WeakKeyDictionary()


def _backend_health() -> _Health:
    backend = caches[DEFAULT_CACHE_ALIAS]
    health = _health.get(backend)
    if health is None:
        health = _health[backend] = _Health()
    return health


def guarded(operation: Callable, *args: Any, failed: Any = None, **kwargs: Any) -> Any:
    """
    operation(*args, **kwargs) on the cache, or `failed` if the cache fails or
    failed less than RETRY_SECONDS ago.
    """
    health = _backend_health()
    if health.failed and time.monotonic() < health.retry_at:
        return failed
    try:
        if health.failed:
            # Back after a failure: changes made meanwhile could not bump the version.
            cache.set(VERSION_KEY, _new_token(), timeout=None)
            health.failed = False
            logger.warning("The cache answers again; the editorial version is replaced.")
        return operation(*args, **kwargs)
    except Exception as error:
        if not health.failed:
            logger.warning("The cache failed (%s: %s); pages are computed uncached.", type(error).__name__, error)
        health.failed = True
        health.retry_at = time.monotonic() + RETRY_SECONDS
        return failed


def available() -> bool:
    """Whether the cache is worth asking: False for RETRY_SECONDS after it failed."""
    health = _backend_health()
    return not health.failed or time.monotonic() >= health.retry_at


def worth_keeping(token: str) -> bool:
    """
    Whether what this request computed may be kept under `token`: not when it
    was read from a replica that may not have replayed the change behind it.
    """
    return reading_replica() is None or _token_age(token) >= settings.ARCHIVE_REPLICA_LAG_SECONDS


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
    guarded(cache.set, VERSION_KEY, token, timeout=None)
    if _request_token.get() is not _UNSCOPED:
        _request_token.set(token)  # the request that made the change reads what it made from here on
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


@contextlib.contextmanager
def one_version() -> Iterator[None]:
    """
    Within it, version() asks the cache once and answers the same until a bump()
    in this context: a request reads the archive as it stood when it began, and
    asks a shared cache (Redis) once instead of for every cached value it reads.
    A change another process makes meanwhile is seen by the next request.
    """
    reset = _request_token.set(None)
    try:
        yield
    finally:
        _request_token.reset(reset)


def version() -> str:
    """The current editorial version; a new token each time while the cache fails."""
    return version_and()[0]


def version_and(*keys: str) -> tuple[str, dict[str, Any]]:
    """
    version(), and what the cache holds under `keys`, read in the same round trip
    when the version is not yet known in this request: a kept page costs one.
    """
    token = _request_token.get()
    if isinstance(token, str):
        return token, (guarded(cache.get_many, list(keys), failed={}) if keys else {})
    token, values = _read_version(keys)
    if _request_token.get() is not _UNSCOPED:
        _request_token.set(token)
    return token, {key: values[key] for key in keys if key in values}


def _read_version(keys: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    values = guarded(cache.get_many, [VERSION_KEY, UNTIL_KEY, *keys])
    if values is None:
        return _new_token(), {}
    token = values.get(VERSION_KEY)
    if token is None:
        guarded(cache.add, VERSION_KEY, _new_token(), timeout=None)
        token = guarded(cache.get, VERSION_KEY)
        if token is None:  # a cache that keeps nothing (DummyCache) or just failed: nothing is reused
            return _new_token(), {}
    until = values.get(UNTIL_KEY)
    now = timezone.now()
    if until is None or until[0] != token:
        until = (token, _next_change(now))
        guarded(cache.set, UNTIL_KEY, until, timeout=None)
    if now >= until[1]:
        return bump(), values
    return token, values


def seconds_left(token: str) -> int:
    """How long an entry made under `token` is worth keeping, at most CACHE_SECONDS."""
    until = guarded(cache.get, UNTIL_KEY)
    limit = settings.ARCHIVE_CACHE_SECONDS
    if until is None or until[0] != token:
        return limit
    return max(1, min(limit, int((until[1] - timezone.now()).total_seconds())))


def key(name: str, *parts: Any, token: str | None = None) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32] if parts else "-"
    return f"archive:{name}:{token or version()}:{digest}"


def store(name: str, parts: tuple, value: Any) -> None:
    token = version()
    if available() and worth_keeping(token):
        guarded(cache.set, key(name, *parts, token=token), value, timeout=seconds_left(token))


def cached(name: str, parts: tuple, compute: Callable[[], Any]) -> Any:
    """compute(), kept for the current editorial version under `name` and `parts`."""
    token = version()
    if not available():
        return compute()
    entry = key(name, *parts, token=token)
    value = guarded(cache.get, entry, _MISSING, failed=_MISSING)
    if value is _MISSING:
        value = compute()
        if worth_keeping(token):
            guarded(cache.set, entry, value, timeout=seconds_left(token))
    return value


# Querysets built for one editorial version in this process (built_once()), a few versions at most.
_built: dict[tuple, Any] = {}


def built_once(name: str, vendor: str, build: Callable[[], Any]) -> Any:
    """
    build()'s queryset, built once per editorial version, database kind and process,
    and cloned for each use. For conditions that depend only on what the version
    stands for: which articles are published and which permissions are in force,
    which hold unchanged until the version is replaced (every editorial change, the
    next midnight, the next scheduled revocation). Building nested conditions costs
    milliseconds of CPU; a page asks for them several times.
    """
    return in_process(name, vendor, build).all()


class Recent:
    """
    Values built once per editorial version, process and key, of which the `kept`
    most recently used are kept: for what readers ask of many kinds (filter values,
    filter combinations), each costing a query or milliseconds of CPU to build, and
    cheaper to keep in memory than to unpickle from the cache. Threaded servers
    share it: one thread's eviction must not race another's.
    """

    def __init__(self, kept: int):
        self.kept = kept
        self._values: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def get(self, parts: tuple, build: Callable[[], Any]) -> Any:
        """build(), or what it gave for `parts` under the current version. An error it raises is not kept."""
        try:
            token = version()
        except DatabaseError:
            return build()
        key = (*parts, token)
        found = self._values.get(key, _MISSING)
        if found is _MISSING:
            found = build()
            with self._lock:
                self._values[key] = found
                while len(self._values) > self.kept:
                    self._values.popitem(last=False)
        else:
            with self._lock, contextlib.suppress(KeyError):
                self._values.move_to_end(key)
        return found


# Filtered lists' querysets: one per set of filters in use.
_filtered = Recent(512)
# Filter values resolved to what they name (a tag, an actor, a place): one per value in use.
_resolved = Recent(2048)


def filtered_once(parts: tuple, build: Callable[[], Any]) -> Any:
    """
    build()'s queryset, built once per editorial version, process and `parts` (the
    list and its filters as values), and cloned for each use: as built_once(), for
    the many filter combinations readers use, of which the most recent are kept.
    Resolving a tag filter's joins and conditions is a tenth of a filtered page.
    """
    return _filtered.get(parts, build).all()


def resolved_once(parts: tuple, build: Callable[[], Any]) -> Any:
    """
    build(): the items a filter value names, resolved once per editorial version,
    process and value. The caller must not change what it gets.
    """
    return _resolved.get(parts, build)


def in_process(name: str, part: str, build: Callable[[], Any]) -> Any:
    """
    build(), kept in this process's memory for the current editorial version: for
    what every request reads and unpickling from the cache would cost more than it
    saves. The caller must not change what it gets.
    """
    try:
        token = version()
    except DatabaseError:
        # No archive to ask when the next permission change is (a system check before migrate):
        # built for this use only.
        return build()
    key = (name, part, token)
    found = _built.get(key)
    if found is None:
        if len(_built) >= 64:
            # Older versions' first: what this version holds stays (rebuilding it may cost a query).
            for stale in [kept for kept in _built if kept[2] != token]:
                del _built[stale]
            if len(_built) >= 64:
                _built.clear()
        found = _built[key] = build()
    return found
