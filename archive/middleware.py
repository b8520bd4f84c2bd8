"""Requests answered before they reach a view: unknown methods, and a database that is down."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    """
    A lost connection or a database that is down is a temporary condition: the
    reader gets a 503 with Retry-After. Django closes a connection that saw an
    error when the request ends (with health checks on), so the next request
    opens a fresh one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable while serving %s: %s", request.path, exception)
        body = render_to_string("503.html", request=None)
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


# Reading, and the admin's forms: the archive changes nothing through PUT, PATCH or DELETE.
ALLOWED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")


class AllowedMethodsMiddleware:
    """Any other method (TRACE, PUT, an unknown one) gets 405 and the Allow header, on every URL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ALLOWED_METHODS:
            response = HttpResponseNotAllowed(ALLOWED_METHODS, content_type="text/plain; charset=utf-8")
            response.content = f"{request.method} is not answered here: use {', '.join(ALLOWED_METHODS)}.\n"
            return response
        return self.get_response(request)
