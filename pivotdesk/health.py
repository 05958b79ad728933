"""Platform checks: /healthz (the process answers) and /readyz (its database and cache do).
Exempt from the beta gate and the HTTPS redirect; never cached by anyone."""

import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})

# How long SELECT 1 may take (connecting is bounded by DB_CONNECT_TIMEOUT).
READY_STATEMENT_TIMEOUT_MS = 1000


@require_GET
@never_cache
def healthz(request):
    """The process is alive. Touches nothing, so a slow database cannot fail it."""
    return HttpResponse("ok", content_type="text/plain")


def database_ok() -> bool:
    """SELECT 1 on the default database answers within READY_STATEMENT_TIMEOUT_MS."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with transaction.atomic(using=DEFAULT_DB_ALIAS), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)",
                    [str(READY_STATEMENT_TIMEOUT_MS)],
                )
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        # A broken connection must not be reused by the next request on this thread.
        if not connection.in_atomic_block:
            connection.close()
        return False


def cache_ok() -> bool:
    """A value written to the default cache comes back (its errors are ignored: None)."""
    key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=10)
        ok = cache.get(key) == value
        cache.delete(key)
        return ok
    except Exception:
        return False


@require_GET
@never_cache
def readyz(request):
    """200 when the database and the cache both answer; 503 naming the one that did not."""
    checks = {
        "database": "ok" if database_ok() else "unavailable",
        "cache": "ok" if cache_ok() else "unavailable",
    }
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse(checks, status=200 if ready else 503)
