"""The buildpack runs collectstatic with config vars set but no add-on reachable."""

import pytest

pytestmark = pytest.mark.slow


def test_collectstatic_succeeds_without_services(collected_static):
    root, manifest = collected_static
    hashed = manifest["paths"]["css/pivotdesk.css"]
    assert hashed != "css/pivotdesk.css"  # content hash in the name: cacheable forever
    assert (root / hashed).is_file()
    assert (root / f"{hashed}.br").is_file() or (root / f"{hashed}.gz").is_file()
    assert "admin/css/base.css" in manifest["paths"]


def test_the_bundles_are_collected_hashed_with_the_images_they_use(collected_static):
    """static/dist/ (esbuild, `make bundles`): their url()s point at hashed copies."""
    root, manifest = collected_static
    paths = manifest["paths"]
    css = (root / paths["dist/site.css"]).read_text()
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):
        hashed = paths[f"dist/images/{image}"].rsplit("/", 1)[1]
        assert hashed != image
        assert f'url("./images/{hashed}")' in css
    script = (root / paths["dist/map.js"]).read_text()
    assert "window.L" in script  # Leaflet, bundled before the map that uses it
    assert script.rstrip().endswith(
        f"sourceMappingURL={paths['dist/map.js.map'].rsplit('/', 1)[1]}"
    )
