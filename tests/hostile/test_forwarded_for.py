"""The per-address lock-out, through gunicorn as the Procfile starts it: the client address is
the one the platform's router (and a CDN, when there is one) reports, so entries a client
writes into ``X-Forwarded-For`` itself cannot buy it fresh budgets."""

import re

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts.tests.conftest import PASSWORD
from accounts.tests.factories import UserFactory
from tests.faults.servers import Gunicorn, database_url_for, production_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LIMIT = settings.AXES_FAILURE_LIMIT


def _xff(forged: str, client: str, proxies: int) -> str:
    """What arrives at the app: the client's own text, then one entry per trusted proxy."""
    hops = [forged, client]
    if proxies == 2:
        hops.append("203.0.113.250")  # the CDN's edge, appended by the router
    return ", ".join(hops)


@pytest.fixture
def server(tmp_path, request):
    if connection.vendor != "postgresql":
        pytest.skip("a gunicorn subprocess shares only a PostgreSQL test database")
    env = production_env(
        DATABASE_URL=database_url_for(connection.settings_dict["NAME"]),
        TRUSTED_PROXY_COUNT=request.param,
    )
    with Gunicorn(env, tmp_path / "gunicorn.log") as gunicorn:
        gunicorn.proxies = request.param
        yield gunicorn


def _login(server, email, password, xff):
    page = server.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    cookie = page.cookies["csrftoken"]  # Secure: sent back by hand over plain http
    return requests.post(
        server.base_url + "/accounts/login/",
        timeout=10,
        allow_redirects=False,
        data={"username": email, "password": password, "csrfmiddlewaretoken": token},
        headers={
            "Cookie": f"csrftoken={cookie}",
            "Origin": server.base_url,
            "X-Forwarded-For": xff,
        },
    )


@pytest.mark.parametrize("server", [1, 2], indirect=True, ids=["router", "cdn-and-router"])
def test_forged_forwarded_for_entries_share_the_real_clients_budget(server):
    victims = [UserFactory(email=f"victim{n}@example.test") for n in range(LIMIT)]
    # Hashed as production hashes (the test settings' fast hasher is not in its list).
    owner = UserFactory(email="owner@example.test")
    hasher = PBKDF2PasswordHasher()
    owner.password = hasher.encode(PASSWORD, hasher.salt())
    owner.save(update_fields=["password"])
    attacker = "198.51.100.66"
    for n, victim in enumerate(victims):
        forged = f"10.0.{n}.1"  # a new "address" each time, written by the attacker
        response = _login(server, victim.email, "guess", _xff(forged, attacker, server.proxies))
        # An ordinary form error, until the last allowed failure locks the address.
        assert response.status_code == (429 if n == LIMIT - 1 else 200), server.logs()

    # Still the attacker, whatever they write on the left: locked out, right password or not.
    forged = "192.0.2.123"
    response = _login(server, owner.email, PASSWORD, _xff(forged, attacker, server.proxies))
    assert response.status_code == 429
    assert response.headers["Retry-After"]
    # Someone else, reported by the same proxies, logs in.
    response = _login(server, owner.email, PASSWORD, _xff(forged, "198.51.100.7", server.proxies))
    assert response.status_code == 302, server.logs()
