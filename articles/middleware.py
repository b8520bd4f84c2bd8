"""
Whole public pages, cached for anonymous readers under the editorial version.

A page is kept under its full URL, the request headers its Vary names, and the
editorial version (articles.cache): the next editorial change makes every kept
page unreachable, so a withdrawn article is gone from the next request. Only
GETs of the reader site's HTML pages are kept, only for a request that carries
no session or message (so never for someone signed in), and only a response
that sets no cookie and holds no CSRF token. DJANGO_PAGE_CACHE=0 turns it off.

It sits last in MIDDLEWARE, so the middleware around it (security headers, CSP,
sessions) treats a kept page exactly as a freshly rendered one. While the cache
fails, pages are rendered afresh and nothing is kept (articles.cache.guarded).
Every request, kept or not, reads one editorial version throughout.
"""

from django.conf import settings
from django.core.cache import cache as default_cache
from django.db import DatabaseError
from django.urls import Resolver404, resolve
from django.utils.cache import get_cache_key, learn_cache_key

from archive.middleware import DatabaseUnavailableMiddleware

from . import cache

CACHED_PAGES = {
    "articles:home",
    "articles:list",
    "articles:detail",
    "articles:event-list",
    "articles:event-detail",
    "articles:actor-list",
    "articles:actor-detail",
    "articles:place-detail",
    "articles:tag-list",
    "articles:tag",
}


def cacheable_request(request) -> bool:
    if not settings.ARCHIVE_PAGE_CACHE or request.method not in ("GET", "HEAD"):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return match.view_name in CACHED_PAGES


def cacheable_response(request, response) -> bool:
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
        and getattr(response, "is_rendered", True)
    )


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Every page reads one editorial version throughout, asked of the cache once (cache.one_version).
        with cache.one_version():
            return self._respond(request)

    def _respond(self, request):
        if not cacheable_request(request):
            return self.get_response(request)
        try:
            token = cache.version()
        except DatabaseError as error:
            # Answered as the view's own database errors are: 503, not 500.
            response = DatabaseUnavailableMiddleware(self.get_response).process_exception(request, error)
            if response is None:
                raise
            return response
        if not cache.available():
            return self.get_response(request)
        prefix = f"archive:page:{token}"
        key = cache.guarded(get_cache_key, request, key_prefix=prefix, method="GET", cache=default_cache)
        if key is not None:
            response = cache.guarded(default_cache.get, key)
            if response is not None:
                return response
        response = self.get_response(request)
        if cacheable_response(request, response) and cache.available() and cache.worth_keeping(token):
            timeout = cache.seconds_left(token)
            cache.guarded(self._keep, request, response, timeout, prefix)
        return response

    @staticmethod
    def _keep(request, response, timeout: int, prefix: str) -> None:
        key = learn_cache_key(request, response, timeout, key_prefix=prefix, cache=default_cache)
        default_cache.set(key, response, timeout)
