"""
What the reader site caches, keyed by the editorial version.

The version is kept by the database (archive.editorial_version): every change to
what readers may see moves it in the transaction that made it, whatever process,
command or statement that was. Each request reads it once (one_version()), from
the database it reads the archive from, and everything cached here, in local
memory or in a shared cache (Redis), is kept under a key holding it: a change in
any process is what every process serves at its next request.

Whether an article is public also depends on the clock: a permission can be
granted from tomorrow, expire tonight or be revoked at a set time. The version a
request reads therefore also names the day and the next scheduled revocation, so
it moves when either passes, in every process at once.

A cache that fails (Redis down or unreachable) is a slower site, never a broken
or stale one: pages are computed afresh, and the process leaves the cache alone
for RETRY_SECONDS after each failure.
"""

import bisect
import collections
import contextlib
import contextvars
import datetime
import hashlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError
from django.utils import timezone

from archive import editorial_version
from archive.routers import reading_replica

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5
_MISSING = object()

# Within one_version(): the version this request read first (None until then); outside it, _UNSCOPED.
_UNSCOPED = object()
_request_token: contextvars.ContextVar[Any] = contextvars.ContextVar("archive_version", default=_UNSCOPED)


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
        result = operation(*args, **kwargs)
    except Exception as error:
        if not health.failed:
            logger.warning("The cache failed (%s: %s); pages are computed uncached.", type(error).__name__, error)
        health.failed = True
        health.retry_at = time.monotonic() + RETRY_SECONDS
        return failed
    if health.failed:
        health.failed = False
        logger.warning("The cache answers again.")
    return result


def available() -> bool:
    """Whether the cache is worth asking: False for RETRY_SECONDS after it failed."""
    health = _backend_health()
    return not health.failed or time.monotonic() >= health.retry_at


# The scheduled revocations still ahead, per stored version and database: they change only with it.
_schedules: dict[tuple, tuple[datetime.datetime, ...]] = {}


def _revocations_ahead(using: str, stored: editorial_version.Version, now: datetime.datetime) -> tuple:
    from .models import RepublicationPermission

    def ahead() -> tuple:
        found = RepublicationPermission.objects.using(using).filter(revoked_at__gt=now).order_by("revoked_at")
        return tuple(found.values_list("revoked_at", flat=True).distinct())

    # A transaction's own uncommitted changes name it, and how far it has gone: its schedule is its own.
    key = (using, stored.token)
    schedule = _schedules.get(key)
    if schedule is None:
        if len(_schedules) >= 16:
            _schedules.clear()
        schedule = _schedules[key] = ahead()
    return schedule


def _read_version() -> str:
    using = reading_replica() or DEFAULT_DB_ALIAS
    stored = editorial_version.read(using)
    now = timezone.now()
    schedule = _revocations_ahead(using, stored, now)
    upcoming = schedule[bisect.bisect_right(schedule, now)] if schedule and schedule[-1] > now else None
    next_revocation = f"{upcoming.timestamp():.6f}" if upcoming else "-"
    return f"{stored.token}.{timezone.localdate(now):%Y%m%d}.{next_revocation}"


@contextlib.contextmanager
def one_version() -> Iterator[None]:
    """
    Within it, version() reads the database once and answers the same until this
    context writes: a request reads the archive as it stood when it began. A
    change another process makes meanwhile is seen by the next request.
    """
    reset = _request_token.set(None)
    try:
        yield
    finally:
        _request_token.reset(reset)


def forget_version() -> None:
    """After a write: the rest of this request reads the version again, to see what it wrote."""
    if _request_token.get() is not _UNSCOPED:
        _request_token.set(None)


def version() -> str:
    """The current editorial version, as the database holds it and the clock stands."""
    token = _request_token.get()
    if isinstance(token, str):
        return token
    token = _read_version()
    if _request_token.get() is not _UNSCOPED:
        _request_token.set(token)
    return token


def streamed(items: Iterable) -> Iterator:
    """
    `items` for a streamed response, each read under the version of the request that
    began the stream: the stream runs on after the request's own one_version() ended.
    """
    token = version()

    def stream() -> Iterator:
        iterator = iter(items)
        while True:
            reset = _request_token.set(token)
            try:
                item = next(iterator)
            except StopIteration:
                return
            finally:
                _request_token.reset(reset)
            yield item

    return stream()


def version_and(*keys: str) -> tuple[str, dict[str, Any]]:
    """version(), and what the cache holds under `keys`."""
    token = version()
    return token, (guarded(cache.get_many, list(keys), failed={}) if keys else {})


def key(name: str, *parts: Any, token: str | None = None) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32] if parts else "-"
    return f"archive:{name}:{token or version()}:{digest}"


def store(name: str, parts: tuple, value: Any) -> None:
    token = version()
    if available():
        guarded(cache.set, key(name, *parts, token=token), value, timeout=settings.ARCHIVE_CACHE_SECONDS)


def cached(name: str, parts: tuple, compute: Callable[[], Any]) -> Any:
    """compute(), kept for the current editorial version under `name` and `parts`."""
    token = version()
    if not available():
        return compute()
    entry = key(name, *parts, token=token)
    value = guarded(cache.get, entry, _MISSING, failed=_MISSING)
    if value is _MISSING:
        value = compute()
        guarded(cache.set, entry, value, timeout=settings.ARCHIVE_CACHE_SECONDS)
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
