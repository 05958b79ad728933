"""axe-core on every page a visitor meets: no serious or critical violations."""

import pytest

from .conftest import assert_no_horizontal_scroll, axe_violations, describe, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _public_pages(site_data):
    listing = site_data["listing"]
    return {
        "home": "/",
        "search": "/spaces/?city=boulder",
        "city": "/spaces/boulder/",
        "detail": listing.get_absolute_url(),
        "sign-up": "/accounts/signup/",
        "log-in": "/accounts/login/",
        "not-found": "/spaces/boulder/no-such-space/",
    }


def test_public_pages_have_no_serious_accessibility_violations(
    page, site_data, shot, page_problems
):
    failures = {}
    for name, url in _public_pages(site_data).items():
        response = page.goto(url)
        expected = 404 if name == "not-found" else 200
        assert response.status == expected, f"{name}: {url} answered {response.status}"
        shot(page, name)
        found = axe_violations(page, name)
        if found:
            failures[name] = describe(found)
    assert not failures, "\n".join(f"{name} {url}" for name, url in failures.items())
    assert page_problems == []


def test_mobile_375px_has_no_horizontal_scroll(new_context, site_data, shot, page_problems):
    phone = new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    pages = _public_pages(site_data)
    for name in ("home", "search", "detail"):
        response = page.goto(pages[name])
        assert response.status == 200, f"{name}: {pages[name]} answered {response.status}"
        shot(page, f"mobile-{name}")
        assert_no_horizontal_scroll(page, 375)
    assert page_problems == []


def test_on_a_phone_the_search_filters_fold_away_and_open_on_a_tap(
    new_context, site_data, shot, page_problems
):
    """A visitor from a tweet is on a phone: the results, not 1,500 px of filters, come first."""
    from playwright.sync_api import expect

    phone = new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto("/spaces/?city=boulder")
    panel = page.locator("[data-filters-panel]")
    expect(panel).not_to_have_attribute("open", "")
    expect(page.get_by_label("Keywords")).to_be_hidden()
    summary = panel.locator("summary")
    expect(summary).to_have_text("Filters · 1 on")  # the city
    results = page.locator("#results-heading").bounding_box()
    assert results["y"] < 812, f"the results start below the first screen: {results}"
    shot(page, "phone-filters-folded")
    assert axe_violations(page, "phone-search") == []

    summary.tap()
    expect(page.get_by_label("Keywords")).to_be_visible()
    shot(page, "phone-filters-open")
    summary.tap()
    expect(page.get_by_label("Keywords")).to_be_hidden()

    # Turned wide (a tablet rotated), folded filters open: there is no summary to tap there.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.get_by_label("Keywords")).to_be_visible()
    expect(summary).to_be_hidden()
    wide = new_context().new_page()
    wide.goto("/spaces/?city=boulder")
    expect(wide.get_by_label("Keywords")).to_be_visible()

    # A filter with an error to show stays open on the phone too.
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/spaces/?desks=lots")
    expect(page.get_by_label("Desks needed")).to_be_visible()
    expect(page.get_by_label("Desks needed")).to_have_attribute("aria-invalid", "true")
    assert page_problems == []


def test_on_a_phone_a_listings_photos_swipe_and_the_request_button_is_on_the_first_screen(
    new_context, site_data, shot, page_problems
):
    from playwright.sync_api import expect

    from listings.services import photo_create
    from listings.tests.factories import image_upload

    listing = site_data["listing"]
    for caption in ("Kitchen", "Meeting room"):
        photo_create(listing=listing, image=image_upload(size=(1600, 1066)), caption=caption)
    phone = new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(listing.get_absolute_url())
    request = page.get_by_role("link", name="Request desks")
    expect(request).to_be_visible()
    box = request.bounding_box()
    assert box["y"] + box["height"] <= 812, f"the request button is below the first screen: {box}"
    gallery = page.locator("section.gallery")
    widths = gallery.evaluate("g => [g.scrollWidth, g.clientWidth]")
    assert widths[0] > widths[1], f"the photos do not scroll sideways: {widths}"
    gallery.evaluate("g => g.scrollBy(g.clientWidth, 0)")
    expect(page.get_by_text("Kitchen", exact=True)).to_be_in_viewport()
    shot(page, "phone-listing")
    assert_no_horizontal_scroll(page, 375)
    assert axe_violations(page, "phone-listing") == []
    assert page_problems == []


def test_a_guests_booking_pages_fit_a_phone(new_context, site_data, shot, page_problems):
    """The bookings list is a table on a wide screen and a card per booking on a phone."""

    from accounts.tests.factories import UserFactory
    from bookings.tests.factories import BookingFactory

    from .conftest import GUEST_EMAIL

    guest = UserFactory(email=GUEST_EMAIL, name="Sam Reyes", company="Tiny Team")
    for listing in [site_data["listing"], *site_data["others"][:2]]:
        booking = BookingFactory(listing=listing, guest=guest, desks=2)
    phone = new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    log_in(page, GUEST_EMAIL)
    for name, url in {"bookings": "/bookings/", "booking": booking.get_absolute_url()}.items():
        assert page.goto(url).status == 200, url
        shot(page, f"phone-{name}")
        assert_no_horizontal_scroll(page, 375)
        assert axe_violations(page, f"phone-{name}") == []
    assert page_problems == []


def test_the_axe_check_catches_real_violations(page, live_server):
    """The checker itself can fail: an unlabelled input and an image without alt are caught."""
    page.goto("/")
    page.set_content(
        "<!doctype html><html lang='en'><head><title>bad</title></head><body><main>"
        "<img src='/static/img/favicon.svg'><input type='text'></main></body></html>"
    )
    found = {v["id"] for v in axe_violations(page, "deliberately-bad")}
    assert {"image-alt", "label"} <= found


def test_pages_run_under_the_sites_real_csp(page, site_data, page_problems):
    """The CSP is not bypassed for these tests: an inline script is refused and reported."""
    response = page.goto("/")
    assert "script-src" in response.headers["content-security-policy"]
    with pytest.raises(Exception, match="Content Security Policy|CSP|Refused"):
        page.add_script_tag(content="window.__inline = 1")
    assert page.evaluate("window.__inline") is None
    for _ in range(50):  # the console message arrives asynchronously: up to 5 s
        if any("Content Security Policy" in p for p in page_problems):
            break
        page.wait_for_timeout(100)
    assert any("Content Security Policy" in p for p in page_problems)


def test_the_503_and_500_pages_are_accessible(page, site_data, settings, shot, page_problems):
    settings.ROOT_URLCONF = "tests.faults.test_dberrors_handler"  # views that fail on purpose
    for name, url, status in (("503", "/_operational/", 503), ("500", "/_bug/", 500)):
        response = page.goto(url)
        assert response.status == status
        shot(page, name)
        found = axe_violations(page, f"error-{name}")
        assert not found, describe(found)
    assert page_problems == []
