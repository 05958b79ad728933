"""The framework ceiling for `make spike`: the barest Django view, under the same
gunicorn.conf.py, returning a body of the size of a cached page (BARE_BODY_BYTES) and, when
BARE_HEADERS_FILE names a file of "Name: value" lines (spike.sh saves the cached page's),
the same response headers, so both sides put the same bytes on the wire.

    PORT=8001 BARE_BODY_BYTES=6400 gunicorn --config gunicorn.conf.py loadtest.bare_app:application

No middleware, no templates, no database: what Django itself costs per request. A page-cache
hit never enters Django, so it should serve at least this many requests per second.
"""

import os

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bare-app-for-load-tests-only",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

_size = int(os.environ.get("BARE_BODY_BYTES", "6400"))
_chunk = b"<p>PivotDesk: spare desks in Boulder and Denver, by the month.</p>\n"
BODY = (b"<!doctype html>\n" + _chunk * (_size // len(_chunk) + 1))[:_size]


_SKIP = {"content-length", "date", "server", "connection", "keep-alive", "content-type"}
HEADERS = []
if os.environ.get("BARE_HEADERS_FILE"):
    with open(os.environ["BARE_HEADERS_FILE"]) as lines:
        for line in lines:
            name, sep, value = line.strip().partition(":")
            if sep and name.lower() not in _SKIP:
                HEADERS.append((name.strip(), value.strip()))


def page(request):
    response = HttpResponse(BODY, content_type="text/html; charset=utf-8")
    for name, value in HEADERS:
        response[name] = value
    return response


urlpatterns = [path("", page)]

application = get_wsgi_application()
