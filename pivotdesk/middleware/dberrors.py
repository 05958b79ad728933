"""A database that is down, hanging or too slow answers 503 with Retry-After, never a 500.

``connect_timeout`` and ``statement_timeout`` make a sick database fail fast; the middleware
turns errors raised by views into a "back in a moment" page, ``server_error`` (handler500)
those raised anywhere else. Both pages render without a request context, so they touch
neither database nor cache; if even that fails, a constant is sent.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static

logger = logging.getLogger("pivotdesk.dberrors")

DB_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30

FALLBACK_503 = "<!doctype html><title>PivotDesk is busy</title><h1>We'll be right back</h1>"
FALLBACK_500 = "<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1>"


def _stylesheet():
    """The site's stylesheet, if its URL can be worked out (a missing manifest entry can't)."""
    try:
        return static("dist/site.css")
    except Exception:
        return ""


def _render(template_name, fallback):
    try:
        return render_to_string(template_name, {"stylesheet": _stylesheet()})
    except Exception:  # the error page must never fail
        logger.exception("could not render %s", template_name)
        return fallback


def database_unavailable(request=None):
    """The 503 page: no cache (it must not be stored by us or a CDN), and Retry-After."""
    response = HttpResponse(_render("503.html", FALLBACK_503), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    """handler500: a database error that escaped the middleware still becomes a 503."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DB_ERRORS):
        return database_unavailable(request)
    response = HttpResponse(_render("500.html", FALLBACK_500), status=500)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DB_ERRORS):
            logger.error("database unavailable on %s: %s", request.path, exception, exc_info=True)
            return database_unavailable(request)
        return None
