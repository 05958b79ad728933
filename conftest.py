"""Shared pytest fixtures. Media goes to a temporary folder, never the working tree."""

from pathlib import Path

import pytest
from django.db import connection

BUNDLES = ("static/dist/site.css", "static/dist/map.js")


def pytest_sessionstart(session):
    """Pages link the esbuild bundles; without them collectstatic and browsers would fail late."""
    missing = [b for b in BUNDLES if not (Path(__file__).parent / b).is_file()]
    if missing:
        pytest.exit(f"missing {', '.join(missing)}: run `make bundles` (npm ci, npm run build)", 2)


@pytest.fixture(autouse=True, scope="session")
def _session_media_root(tmp_path_factory):
    from django.conf import settings

    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI does)")


@pytest.fixture
def run_jobs(transactional_db):
    """A callable that runs every ready job with django-tasks-db's worker (``db_worker
    --batch``) in this process, until none is left. The jobs must be committed, hence
    ``transactional_db``."""
    import io
    import signal

    from django.core.management import call_command

    def run() -> None:
        # The worker installs its own SIGINT/SIGTERM handlers; give pytest its own back.
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            call_command(
                "db_worker",
                batch=True,
                startup_delay=False,
                reload=False,
                interval=0,
                stdout=io.StringIO(),
            )
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    return run


@pytest.fixture
def operator(db):
    """A PivotDesk operator (``User.is_operator``: active, staff and superuser). A fixed name:
    a Faker name could match what a test searches for."""
    from accounts.tests.factories import UserFactory

    return UserFactory(
        email="ops@pivotdesk.test", name="Ops Desk", is_staff=True, is_superuser=True
    )


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client
