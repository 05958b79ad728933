import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from .support import closed_port, manage, production_env


@pytest.fixture
def wsgi_db(db):
    """Database access for requests made straight through pivotdesk.wsgi.application.

    Like Django's test client: keep the request signals from closing the connection that
    holds the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """collectstatic as the buildpack runs it: production settings, no service reachable."""
    root = tmp_path_factory.mktemp("staticfiles")
    dead = closed_port()
    result = manage(
        "collectstatic",
        "--noinput",
        env=production_env(
            DATABASE_URL=f"postgres://pivotdesk@127.0.0.1:{dead}/pivotdesk",
            REDIS_URL=f"redis://127.0.0.1:{dead}/0",
            STATIC_ROOT=str(root),
        ),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((root / "staticfiles.json").read_text())
    return root, manifest
