"""The map pages' one bundled script (assets/map.js: Leaflet, the map, the search form, the
prefill) and one stylesheet, in a real browser: pins drawn, no JS error, no CSP report."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_city_page_draws_a_pin_for_each_space_with_the_bundle(
    new_context, site_data, page_problems
):
    from listings.models import Listing

    page = new_context().new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/spaces/boulder/")
    in_boulder = Listing.objects.filter(
        neighborhood__city__slug="boulder", status=Listing.Status.PUBLISHED
    ).count()
    expect(page.locator(".leaflet-marker-icon")).to_have_count(in_boulder)
    # Leaflet's own stylesheet arrived inside the bundle: its panes are positioned.
    position = page.locator(".leaflet-pane").first.evaluate("e => getComputedStyle(e).position")
    assert position == "absolute"
    scripts = [url for url in requested if url.endswith(".js")]
    styles = [url for url in requested if url.endswith(".css")]
    assert [url.rsplit("/", 2)[-2:] for url in scripts] == [["dist", "map.js"]]
    assert [url.rsplit("/", 2)[-2:] for url in styles] == [["dist", "site.css"]]
    assert page_problems == []
