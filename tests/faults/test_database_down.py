"""The database hangs, dies or is too slow: a friendly 503 in a few seconds, never a 500 or 30 s."""

import os

import pytest
import requests

from .servers import Gunicorn, HangingDatabase, database_url_for, free_port, production_env

pytestmark = pytest.mark.slow

# The router gives up at 30 s. With DB_CONNECT_TIMEOUT=2 a page must be answered well before
# that; the bound is a requests timeout (an exception fails the test), not a latency measurement.
ANSWER_WITHIN = 8.0
PAGES = ["/", "/spaces/boulder/", "/spaces/boulder/some-space/", "/spaces/?city=boulder"]


def _assert_friendly_503(response, path, app):
    assert response.status_code == 503, (path, response.status_code, app.logs())
    assert "right back" in response.text
    assert response.headers["Retry-After"].isdigit()
    assert "no-store" in response.headers["Cache-Control"]
    assert "Traceback" not in response.text


def _get(app, path):
    try:
        return app.get(path, timeout=ANSWER_WITHIN)
    except requests.Timeout:
        pytest.fail(f"{path} not answered within {ANSWER_WITHIN} s\n{app.logs()}")


def _assert_not_ready(app):
    """The platform's readiness check says so too (and fast), so the router stops sending."""
    ready = _get(app, "/readyz")
    assert ready.status_code == 503, (ready.status_code, ready.text[:500])
    alive = _get(app, "/healthz")
    assert alive.status_code == 200  # the process itself is fine: don't restart it


def test_hanging_database_gets_a_friendly_503_fast(tmp_path):
    with HangingDatabase() as db:
        env = production_env(
            DATABASE_URL=f"postgres://pivotdesk@127.0.0.1:{db.port}/pivotdesk",
            DB_CONNECT_TIMEOUT=2,
            REDIS_URL=None,
        )
        with Gunicorn(env, tmp_path / "gunicorn.log") as app:
            for path in PAGES:
                _assert_friendly_503(_get(app, path), path, app)
            assert db.accepted, "the app never tried the hanging database"
            _assert_not_ready(app)


def test_dead_database_gets_a_friendly_503(tmp_path):
    closed_port = free_port()  # nothing listens there: connection refused
    env = production_env(
        DATABASE_URL=f"postgres://pivotdesk@127.0.0.1:{closed_port}/pivotdesk",
        DB_CONNECT_TIMEOUT=2,
        REDIS_URL=None,
    )
    with Gunicorn(env, tmp_path / "gunicorn.log") as app:
        for path in PAGES:
            _assert_friendly_503(_get(app, path), path, app)
        _assert_not_ready(app)


@pytest.mark.postgres
def test_statement_timeout_cancels_a_slow_query_with_a_503(tmp_path):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI does)")
    env = production_env(
        DATABASE_URL=database_url_for(), DB_STATEMENT_TIMEOUT_MS=300, REDIS_URL=None
    )
    with Gunicorn(env, tmp_path / "gunicorn.log") as app:
        fast = _get(app, "/_faults/slow-query/?seconds=0.01")
        assert fast.status_code == 200, app.logs()
        slow = _get(app, "/_faults/slow-query/?seconds=20")
        _assert_friendly_503(slow, "slow-query", app)
        assert "canceling statement due to statement timeout" in app.logs()
