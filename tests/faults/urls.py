"""The site's URLs plus one test-only view (used by tests.faults.server_settings only)."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path

from pivotdesk.urls import handler500  # noqa: F401
from pivotdesk.urls import urlpatterns as site_urlpatterns


def slow_query(request):
    """A query that takes ``seconds`` (capped): statement_timeout must cancel it."""
    seconds = min(float(request.GET.get("seconds", "5")), 20.0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [seconds])
    return HttpResponse("the query finished: statement_timeout did not cancel it")


urlpatterns = [path("_faults/slow-query/", slow_query), *site_urlpatterns]
