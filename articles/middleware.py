"""
Whole public pages, cached for anonymous readers under the editorial version.

A page is kept under its full URL, together with the editorial version it was
made under (articles.cache), and is served only while that is still the version:
the next editorial change, in any process, makes every kept page stale, so a
withdrawn article is gone from the next request.
Only GETs of the reader site's HTML pages are kept, only for a request that
carries no session or message (so never for someone signed in), and only a
response that sets no cookie, holds no CSRF token and varies on no header.
DJANGO_PAGE_CACHE=0 turns it off.

It sits last in MIDDLEWARE, so the middleware around it (security headers, CSP,
sessions) treats a kept page exactly as a freshly rendered one. While the cache
fails, pages are rendered afresh and nothing is kept (articles.cache.guarded).
Every request, kept or not, reads one editorial version throughout.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache as default_cache
from django.db import DatabaseError
from django.urls import Resolver404, resolve
from django.utils.translation import get_language

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
        # Kept under its address alone: a page that varies on a request header is not kept.
        and not response.has_header("Vary")
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
        and getattr(response, "is_rendered", True)
    )


def page_key(request) -> str:
    """Where a page is kept: its full address and language. The version is kept with the page."""
    address = f"{request.build_absolute_uri()}|{get_language()}"
    return f"archive:page:{hashlib.sha256(address.encode()).hexdigest()[:40]}"


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Every page reads one editorial version throughout, asked of the database once (cache.one_version).
        with cache.one_version():
            return self._respond(request)

    def _respond(self, request):
        if not cacheable_request(request):
            return self.get_response(request)
        key = page_key(request)
        try:
            # The page is served only if it was made under the version the database holds now.
            token, found = cache.version_and(key)
        except DatabaseError as error:
            # Answered as the view's own database errors are: 503, not 500.
            response = DatabaseUnavailableMiddleware(self.get_response).process_exception(request, error)
            if response is None:
                raise
            return response
        kept = found.get(key)
        if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == token:
            return kept[1]
        response = self.get_response(request)
        if cacheable_response(request, response) and cache.available():
            cache.guarded(default_cache.set, key, (token, response), settings.ARCHIVE_CACHE_SECONDS)
        return response
