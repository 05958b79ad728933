"""Static bundles (pivotdesk/bundles.py): one stylesheet and one script instead of five files,
built from their sources, collected, hashed and compressed like any static file."""

import json
import os
import re
import time

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import override_settings

from pivotdesk.bundles import BundleFinder, rebase_css


def source_text(name):
    return open(finders.find(name), encoding="utf-8").read()


def test_css_urls_are_rebased_for_the_bundle_location():
    css = (
        ".a{background:url(images/layers.png)} .b{background:url('images/x.png')}"
        ' .c{behavior:url(#default#VML)} .d{background:url("data:image/png;base64,AAA=")}'
        " .e{background:url(/static/y.png)} .f{background:url(https://example.com/z.png)}"
    )
    rebased = rebase_css(css, "vendor/leaflet/leaflet.css", "css/site.css")
    assert "url(../vendor/leaflet/images/layers.png)" in rebased
    assert "url('../vendor/leaflet/images/x.png')" in rebased
    for kept in (
        "url(#default#VML)",
        'url("data:image/png;base64,AAA=")',
        "url(/static/y.png)",
        "url(https://example.com/z.png)",
    ):
        assert kept in rebased


def test_each_bundle_holds_its_sources_in_order():
    for name, sources in settings.STATIC_BUNDLES.items():
        bundle = open(finders.find(name), encoding="utf-8").read()
        positions = [bundle.index(f"/* {source} */") for source in sources]
        assert positions == sorted(positions), name
        assert "sourceMappingURL" not in bundle  # leaflet.js's map is for leaflet.js alone
    script = open(finders.find("js/site.js"), encoding="utf-8").read()
    for source in ("js/map.js", "js/search.js", "js/prefill.js"):
        assert source_text(source).strip() in script
    leaflet = re.sub(r"//# sourceMappingURL=.*", "", source_text("vendor/leaflet/leaflet.js"))
    assert leaflet.strip() in script


def test_a_changed_source_rebuilds_the_bundle(tmp_path):
    (tmp_path / "one.js").write_text("var one = 1\n")
    (tmp_path / "two.js").write_text("var two = 2\n//# sourceMappingURL=two.js.map\n")
    bundles = {"test/bundle-rebuild.js": ["one.js", "two.js"]}
    with override_settings(STATICFILES_DIRS=[tmp_path], STATIC_BUNDLES=bundles):
        first = BundleFinder().find("test/bundle-rebuild.js")
        text = open(first).read()
        assert "var one = 1\n;\n/* two.js */\nvar two = 2" in text
        assert "sourceMappingURL" not in text
        (tmp_path / "two.js").write_text("var two = 22\n")
        later = time.time() + 5
        os.utime(tmp_path / "two.js", (later, later))
        assert "var two = 22" in open(BundleFinder().find("test/bundle-rebuild.js")).read()
        assert BundleFinder().find("test/elsewhere.js") == []
        assert finders.find("test/elsewhere.js") is None
        assert BundleFinder().find("test/bundle-rebuild.js", find_all=True) == [first]


def test_a_missing_source_is_a_check_error():
    with override_settings(STATIC_BUNDLES={"js/broken.js": ["js/map.js", "js/nowhere.js"]}):
        errors = BundleFinder().check()
    assert [error.id for error in errors] == ["pivotdesk.E010"]
    assert "js/nowhere.js" in errors[0].msg


@pytest.mark.slow
def test_collectstatic_hashes_the_bundles_and_their_css_references(tmp_path):
    with override_settings(
        STATIC_ROOT=tmp_path,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    css = (tmp_path / manifest["css/site.css"]).read_text()
    assert source_text("css/pivotdesk.css").strip() in css
    images = re.findall(r'url\("?\.\./(vendor/leaflet/images/[^")]+)"?\)', css)
    assert len(images) == 3
    for image in images:  # hashed names that were collected
        assert image in manifest.values() and (tmp_path / image).exists()
    for name in settings.STATIC_BUNDLES:
        for compressed in (".gz", ".br"):
            assert (tmp_path / (manifest[name] + compressed)).exists()


@pytest.mark.django_db
def test_pages_ask_for_one_stylesheet_and_at_most_one_script(client):
    from listings.tests.factories import ListingFactory

    listing = ListingFactory()
    for path in ["/", "/spaces/", f"/spaces/{listing.city.slug}/", listing.get_absolute_url()]:
        html = client.get(path).content.decode()
        assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == [
            "/static/css/site.css"
        ], path
        scripts = re.findall(r'<script src="([^"]+)"', html)
        assert scripts == ([] if path == "/" else ["/static/js/site.js"]), path
