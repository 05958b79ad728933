"""The maps and the search form in a real browser (Debian's Chromium through Playwright)."""

import shutil
from decimal import Decimal

import pytest

from listings.services import photo_create
from listings.tests.factories import ListingFactory, image_upload

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:"


@pytest.fixture
def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("needs Debian's chromium on PATH")
    return path


@pytest.mark.django_db(transaction=True)
def test_map_draws_pins_with_no_inline_script_allowed(live_server, chromium_path, settings):
    from playwright.sync_api import sync_playwright

    settings.MAP_TILE_URL = f"{live_server.url}/tiles/{{z}}/{{x}}/{{y}}.png"
    listing = ListingFactory(slug="mapped")
    photo_create(listing=listing, image=image_upload(size=(800, 600)))
    ListingFactory(slug="second", latitude=Decimal("40.030000"), longitude=Decimal("-105.250000"))
    problems = []

    def with_csp(route):
        response = route.fetch()
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": CSP}
        )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on(
                "console",
                lambda msg: (
                    problems.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
            page.route(f"{live_server.url}/spaces/**", with_csp)
            for path, pins in [("/spaces/boulder/mapped/", 1), ("/spaces/?city=boulder", 2)]:
                page.goto(f"{live_server.url}{path}", timeout=15000)
                page.wait_for_selector(".leaflet-marker-icon", timeout=10000)
                assert page.locator(".leaflet-marker-icon").count() == pins, path
                assert page.locator("[data-map]").first.is_visible(), path
                # Nothing sticks out sideways on a 375 px phone.
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 375, path
            # Pins are keyboard-operable: focus one, press Enter, get a link to the space.
            page.locator(".leaflet-marker-icon").first.focus()
            page.keyboard.press("Enter")
            page.wait_for_selector(".leaflet-popup-content a", timeout=5000)
            assert page.locator(".leaflet-popup-content a").count() == 1
        finally:
            browser.close()
    assert problems == []


@pytest.mark.django_db(transaction=True)
def test_neighborhood_list_follows_the_city_with_javascript(live_server, chromium_path):
    from playwright.sync_api import sync_playwright

    from listings.tests.factories import CityFactory, NeighborhoodFactory

    NeighborhoodFactory(name="Pearl Street")
    NeighborhoodFactory(name="LoDo", city=CityFactory(name="Denver"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{live_server.url}/spaces/?neighborhood=pearl-street", timeout=15000)
            page.wait_for_load_state("load")
            assert page.locator("#id_neighborhood").input_value() == "pearl-street"
            page.select_option("#id_city", "denver")
            # Pearl Street is in Boulder: its group is hidden and the choice is cleared.
            assert page.locator("#id_neighborhood").input_value() == ""
            assert page.locator('optgroup[label="Boulder"]').evaluate("g => g.disabled")
            assert not page.locator('optgroup[label="Denver"]').evaluate("g => g.disabled")
            page.select_option("#id_neighborhood", "lodo")
            page.click("button[type=submit]")
            page.wait_for_url("**/spaces/?*")
            assert "city=denver" in page.url and "neighborhood=lodo" in page.url
        finally:
            browser.close()
