"""Hashed static assets: compressed (brotli, gzip) and cached for a year, as immutable.

Through Django (WhiteNoiseMiddleware, as with DEBUG on or another entry point) and, as
gunicorn serves them, from the page cache layer before Django (pivotdesk.assets)."""

import base64
import gzip
import io
import json
import time
from pathlib import Path

import brotli
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.test import override_settings

from pivotdesk.gate import BetaGate
from pivotdesk.pagecache import PageCache
from pivotdesk.requestlog import RequestLog

from .wsgi_util import CountingApp, wsgi_get

# Each test collects the static files into its own folder first (a build): a slow drill.
pytestmark = pytest.mark.slow


@pytest.fixture
def collected(tmp_path):
    with override_settings(
        STATIC_ROOT=tmp_path,
        STATICFILES_FINDERS=[
            "django.contrib.staticfiles.finders.FileSystemFinder",
            "pivotdesk.bundles.BundleFinder",
        ],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
        yield get_wsgi_application(), manifest


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_hashed_asset_is_compressed_and_immutable(collected, encoding):
    app, manifest = collected
    hashed = manifest["css/site.css"]
    assert hashed != "css/site.css"
    response = wsgi_get(app, f"/static/{hashed}", headers={"Accept-Encoding": encoding})
    assert response.status == 200
    assert response.header("Content-Encoding") == encoding
    cache_control = response.header("Cache-Control")
    assert "max-age=31536000" in cache_control and "immutable" in cache_control
    assert response.header("X-Page-Cache") is None


def test_unhashed_name_is_not_immutable(collected):
    app, _manifest = collected
    response = wsgi_get(app, "/static/css/site.css")
    assert response.status == 200
    assert "immutable" not in (response.header("Cache-Control") or "")


# --- Served before Django (pivotdesk.assets, inside the page cache layer) -------------------

IMMUTABLE = "public, max-age=31536000, immutable"
HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture
def front(collected, settings):
    """The page cache layer around a Django application that counts its calls."""
    _django, manifest = collected
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 31536000
    inner = CountingApp(get_wsgi_application())
    return PageCache(inner), inner, manifest


def collected_file(manifest, name):
    return (Path(settings.STATIC_ROOT) / manifest[name]).read_bytes()


@pytest.mark.parametrize(
    ("encoding", "decode"),
    [("br", brotli.decompress), ("gzip", gzip.decompress), ("identity", lambda body: body)],
)
def test_hashed_asset_is_served_without_django(front, encoding, decode):
    app, inner, manifest = front
    response = wsgi_get(
        app, f"/static/{manifest['css/site.css']}", headers={"Accept-Encoding": encoding, **HTTPS}
    )
    assert response.status == 200
    assert inner.calls == 0
    assert response.header("Cache-Control") == IMMUTABLE
    assert response.header("Content-Encoding") == (None if encoding == "identity" else encoding)
    assert response.header("Vary") == "Accept-Encoding"
    assert response.header("Content-Type") == 'text/css; charset="utf-8"'
    assert response.header("X-Content-Type-Options") == "nosniff"
    assert response.header("Strict-Transport-Security") == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert decode(response.body) == collected_file(manifest, "css/site.css")


def test_a_range_of_an_asset_is_answered_from_the_file(front):
    # The usual GET comes from memory; a Range request still gets WhiteNoise's 206.
    app, inner, manifest = front
    path = f"/static/{manifest['css/site.css']}"
    wsgi_get(app, path, headers=HTTPS)  # now in memory
    response = wsgi_get(app, path, headers={"Range": "bytes=0-9", **HTTPS})
    assert response.status == 206 and inner.calls == 0
    assert response.body == collected_file(manifest, "css/site.css")[:10]


def test_head_and_not_modified_are_answered_without_django(front):
    app, inner, manifest = front
    url = f"/static/{manifest['js/map.js']}"
    head = wsgi_get(app, url, method="HEAD")
    assert head.status == 200 and head.body == b""
    again = wsgi_get(app, url, headers={"If-None-Match": head.header("ETag")})
    assert again.status == 304 and again.body == b""
    assert again.header("X-Content-Type-Options") == "nosniff"
    assert inner.calls == 0


def test_no_hsts_on_plain_http(front):
    app, inner, manifest = front
    response = wsgi_get(app, f"/static/{manifest['css/site.css']}")
    assert response.status == 200 and inner.calls == 0
    assert response.header("Strict-Transport-Security") is None
    assert response.header("X-Content-Type-Options") == "nosniff"


def test_plain_http_is_left_to_django_to_redirect(collected, settings):
    _django, manifest = collected
    settings.SECURE_SSL_REDIRECT = True
    inner = CountingApp(get_wsgi_application())
    app = PageCache(inner)
    response = wsgi_get(app, f"/static/{manifest['css/site.css']}")
    assert response.status == 301
    assert response.header("Location").startswith("https://")
    assert inner.calls == 1
    assert wsgi_get(app, f"/static/{manifest['css/site.css']}", headers=HTTPS).status == 200
    assert inner.calls == 1


def test_unhashed_name_gets_a_short_cache_before_django(front):
    app, inner, _manifest = front
    response = wsgi_get(app, "/static/css/site.css")
    assert response.status == 200 and inner.calls == 0
    assert response.header("Cache-Control") == "public, max-age=60"


def test_assets_answer_even_past_the_queue_limit(front):
    app, inner, manifest = front
    long_ago = {"X-Request-Start": f"t={int((time.time() - 60) * 1000)}"}
    response = wsgi_get(app, f"/static/{manifest['css/site.css']}", headers=long_ago)
    assert response.status == 200 and inner.calls == 0
    # An unknown name would need Django: past the limit it is the immediate 503.
    assert wsgi_get(app, "/static/css/nope.css", headers=long_ago).status == 503
    assert inner.calls == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/static/",
        "/static/css/",
        "/static/css",
        "/static/css/nope.css",
        "/static/{hashed}.br",
        "/static/../manage.py",
        "/static/../../../etc/passwd",
        "/static/css/../css/site.css",
        "/static//etc/passwd",
        "/static/%2e%2e/manage.py",
        "/static/..%2fmanage.py",
        "/static/css\\..\\..\\manage.py",
        "/static/css/site.css\x00",
        "/static/\xff\xfe.css",
    ],
)
def test_unknown_names_and_escapes_are_django_404s(front, wsgi_db, path):
    app, inner, manifest = front
    response = wsgi_get(app, path.format(hashed=manifest["css/site.css"]))
    assert response.status == 404, path
    assert inner.calls == 1
    assert b"DJANGO_SETTINGS_MODULE" not in response.body


def test_beta_gate_and_request_log_still_apply(front, settings):
    app, inner, manifest = front
    settings.BASIC_AUTH = "beta:secret"
    log = io.StringIO()
    composed = RequestLog(BetaGate(app), stream=log)
    url = f"/static/{manifest['css/site.css']}"
    assert wsgi_get(composed, url).status == 401
    token = base64.b64encode(b"beta:secret").decode()
    allowed = wsgi_get(composed, url, headers={"Authorization": f"Basic {token}"})
    assert allowed.status == 200 and inner.calls == 0
    lines = log.getvalue().splitlines()
    assert len(lines) == 2
    assert "status=401" in lines[0] and "status=200" in lines[1]
    assert f'path="{url}"' in lines[1]


def test_with_debug_on_django_keeps_serving_static(collected, settings):
    _django, manifest = collected
    settings.DEBUG = True
    inner = CountingApp(get_wsgi_application())
    app = PageCache(inner)
    response = wsgi_get(app, "/static/css/site.css")
    assert response.status == 200
    assert inner.calls == 1
