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
