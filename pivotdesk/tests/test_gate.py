"""The beta gate on the composed WSGI app (the one gunicorn serves)."""

import base64

import pytest

from pivotdesk.wsgi import application

from .support import call_wsgi

GATE = "beta:tweet-proof-2026"


def basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def test_site_is_open_without_basic_auth(wsgi_db, settings):
    settings.BASIC_AUTH = ""
    response = call_wsgi(application, "/")
    assert response.status_code == 200
    assert "PivotDesk" in response.text


def test_gate_asks_for_credentials(wsgi_db, settings):
    settings.BASIC_AUTH = GATE
    response = call_wsgi(application, "/")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Basic realm="PivotDesk beta"')
    assert response.headers["cache-control"] == "no-store"
    assert "desks" not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        basic("beta:wrong"),
        basic("beta"),
        basic(GATE + "x"),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Bearer " + GATE},
        {"Authorization": "Basic"},
    ],
    ids=["wrong-password", "no-password", "longer", "garbage", "other-scheme", "empty"],
)
def test_gate_refuses_wrong_or_malformed_credentials(wsgi_db, settings, headers):
    settings.BASIC_AUTH = GATE
    assert call_wsgi(application, "/", headers=headers).status_code == 401


def test_gate_lets_the_right_credentials_through(wsgi_db, settings):
    settings.BASIC_AUTH = GATE
    response = call_wsgi(application, "/", headers=basic(GATE))
    assert response.status_code == 200
    assert "PivotDesk" in response.text


def test_gate_covers_every_path_not_only_pages(wsgi_db, settings):
    settings.BASIC_AUTH = GATE
    for path in ("/admin/login/", "/spaces/boulder/", "/no-such-page/"):
        assert call_wsgi(application, path).status_code == 401, path


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_skip_the_gate(wsgi_db, settings, path):
    settings.BASIC_AUTH = GATE
    assert call_wsgi(application, path).status_code == 200
