import pytest
from django.db import connection

from tests.faults.conftest import committed_site  # noqa: F401 - the same committed site
from tests.faults.servers import Gunicorn, database_url_for, production_env

from .varnish import VARNISHD, Varnish


@pytest.fixture
def origin(committed_site, tmp_path):  # noqa: F811
    """The app under gunicorn on the committed test database. Its own page cache is off:
    what is kept here is kept by Varnish."""
    env = production_env(
        DATABASE_URL=database_url_for(connection.settings_dict["NAME"]),
        REDIS_URL=None,
        PAGE_CACHE_ENABLED="0",
    )
    with Gunicorn(env, tmp_path / "gunicorn.log") as app:
        yield app


@pytest.fixture
def varnish(origin, tmp_path):
    if VARNISHD is None:
        pytest.skip("varnishd is not installed (Debian's varnish; .ci/run installs it)")
    with Varnish(backend_port=origin.port, workdir=tmp_path) as cache:
        yield cache
