"""Hashed static assets: compressed (brotli, gzip) and cached for a year, as immutable."""

import json

import pytest
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.test import override_settings

from .wsgi_util import wsgi_get


@pytest.fixture
def collected(tmp_path):
    with override_settings(
        STATIC_ROOT=tmp_path,
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
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
