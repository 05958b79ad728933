"""Shared pytest fixtures. Media goes to a temporary folder, never the working tree."""

import pytest
from django.db import connection


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
