"""The 503 handler itself, in process: database errors from views and from elsewhere."""

import pytest
from django.db import InterfaceError, OperationalError, connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from pivotdesk.urls import handler500  # noqa: F401
from pivotdesk.urls import urlpatterns as site_urlpatterns


def raises_operational(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: timeout expired")


def raises_interface(request):
    raise InterfaceError("connection already closed")


def raises_other(request):
    raise RuntimeError("a plain bug")


def slow_query(request):
    # SET LOCAL lasts for this transaction only, so the test connection is left as it was.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        cursor.execute("SELECT pg_sleep(2)")
    return HttpResponse("not cancelled")


class BrokenMiddleware:
    """A middleware (not a view) that hits a dead database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/_broken-middleware/":
            raise OperationalError("server closed the connection unexpectedly")
        return self.get_response(request)


urlpatterns = [
    path("_operational/", raises_operational),
    path("_interface/", raises_interface),
    path("_bug/", raises_other),
    path("_slow/", slow_query),
    *site_urlpatterns,
]

pytestmark = pytest.mark.urls(__name__)


@pytest.mark.parametrize("url", ["/_operational/", "/_interface/"])
def test_database_errors_in_views_are_a_friendly_503(client, url):
    response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    assert b"right back" in response.content
    assert b"{#" not in response.content and b"{%" not in response.content


def test_database_error_outside_a_view_is_a_503_too(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.BrokenMiddleware"]
    response = Client(raise_request_exception=False).get("/_broken-middleware/")
    assert response.status_code == 503
    assert b"right back" in response.content


def test_other_errors_are_a_plain_500_page():
    response = Client(raise_request_exception=False).get("/_bug/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"Traceback" not in response.content


@pytest.mark.django_db(transaction=True)
def test_statement_timeout_becomes_a_503(postgres_only, client):
    response = client.get("/_slow/")
    assert response.status_code == 503
    assert b"right back" in response.content


@pytest.mark.django_db
def test_statement_timeout_is_set_on_the_connection(postgres_only, settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (value,) = cursor.fetchone()
    assert value in {
        f"{settings.DB_STATEMENT_TIMEOUT_MS}ms",
        f"{settings.DB_STATEMENT_TIMEOUT_MS // 1000}s",
    }


def test_not_found_is_a_friendly_page(client, db):
    response = client.get("/spaces/atlantis/nowhere/")
    assert response.status_code == 404
    assert b"couldn" in response.content


@pytest.mark.parametrize("template", ["500.html", "503.html"])
def test_error_pages_render_with_no_context_and_no_static_manifest(template, settings):
    """Django's default handlers render them with no context; a build without collectstatic
    must not turn the error page itself into a crash."""
    from django.template.loader import render_to_string

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = "/nonexistent-static-root"
    html = render_to_string(template)
    assert "PivotDesk" in html and "<h1>" in html
    response = Client(raise_request_exception=False).get("/_bug/")
    assert response.status_code == 500 and b"Something went wrong" in response.content
