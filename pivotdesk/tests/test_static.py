"""Static files: WhiteNoise as documented. Hashed names compressed (brotli, gzip) and
immutable; other names a short max-age; served with DEBUG on and off."""

import json

import pytest
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.test import override_settings

from pivotdesk.pagecache import PageCache

from .wsgi_util import wsgi_get

# Each test collects the static files into its own folder first (a build): a slow drill.
pytestmark = pytest.mark.slow


@pytest.fixture
def collected(tmp_path):
    with override_settings(
        STATIC_ROOT=tmp_path,
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
    hashed = manifest["css/pivotdesk.css"]
    assert hashed != "css/pivotdesk.css"
    response = wsgi_get(app, f"/static/{hashed}", headers={"Accept-Encoding": encoding})
    assert response.status == 200
    assert response.header("Content-Encoding") == encoding
    cache_control = response.header("Cache-Control")
    max_age = int(cache_control.partition("max-age=")[2].split(",")[0])
    assert max_age >= 31536000 and "immutable" in cache_control


def test_unhashed_name_is_not_immutable(collected):
    app, _manifest = collected
    response = wsgi_get(app, "/static/css/pivotdesk.css")
    assert response.status == 200
    assert "immutable" not in (response.header("Cache-Control") or "")


@pytest.mark.parametrize(
    "path", ["/static/css/../../pivotdesk/settings/base.py", "/static/nope.css"]
)
def test_unknown_names_and_escapes_are_404s(collected, wsgi_db, path):
    app, _manifest = collected
    assert wsgi_get(app, path).status == 404


def test_static_files_pass_through_the_page_cache_layer(collected, wsgi_db):
    app, manifest = collected
    response = wsgi_get(PageCache(app), f"/static/{manifest['js/map.js']}")
    assert response.status == 200 and response.header("X-Page-Cache") is None


def test_with_debug_on_static_files_come_from_the_finders(settings):
    settings.DEBUG = True
    response = wsgi_get(get_wsgi_application(), "/static/css/pivotdesk.css")
    assert response.status == 200
