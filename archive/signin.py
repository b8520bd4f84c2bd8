"""Sign-in throttling (django-axes): the address it counts failures against, and the page a lock shows."""

import ipaddress

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def client_address(request) -> str | None:
    """
    REMOTE_ADDR, or behind DJANGO_TRUSTED_PROXIES proxies the address the outermost of them
    saw: each appends its peer to X-Forwarded-For, so entries further left are the client's say.
    """
    proxies = settings.ARCHIVE_TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if proxies and len(forwarded) >= proxies:
        candidate = forwarded[-proxies]
        try:
            # The address is stored in an inet column on PostgreSQL: anything else would fail the insert.
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def locked_out(request, original_response=None, credentials=None):
    """The page a sign-in refused for too many failures gets, in the admin's look."""
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in locked",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "username": get_client_username(request, credentials) or "",
        "minutes": int(get_cool_off(request).total_seconds() // 60),
    }
    return render(request, "admin/locked_out.html", context, status=429)
