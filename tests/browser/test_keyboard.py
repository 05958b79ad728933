"""Keyboard and screen-reader paths: few key presses to the results, focus on what went wrong,
and a phone header that leaves the screen to the page."""

import pytest
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _tabs_until(page, predicate, limit=30):
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(predicate):
            return presses
    return None


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_a_few_key_presses_reach_the_first_result(new_context, site_data, width, page_problems):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto("/spaces/?city=boulder")
    skip = page.get_by_role("link", name="Skip to the 3 results").first
    presses = _tabs_until(page, "document.activeElement.textContent.startsWith('Skip to the')")
    assert presses is not None and presses <= 2
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('.card') !== null")
    assert focused, page.evaluate("document.activeElement.outerHTML")
    assert page_problems == []


def test_after_a_failed_submit_focus_is_on_the_error_summary(page, site_data, page_problems):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("nobody@example.test")
    page.get_by_label("Password").fill("wrong-password-123")
    page.get_by_role("button", name="Log in").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    assert page_problems == []


def test_the_booking_form_lists_each_error_with_a_link_to_its_field(page, site_data, page_problems):
    from accounts.tests.factories import UserFactory

    guest = UserFactory(email="keys@example.test")
    log_in(page, guest.email)
    page.goto(site_data["listing"].get_absolute_url() + "book/")
    page.get_by_label("Desks", exact=True).fill("0")
    page.get_by_role("button", name="Request desks").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Desks", exact=True)).to_be_focused()
    assert page_problems == []


def test_the_phone_header_takes_less_than_80_px(new_context, site_data):
    from accounts.tests.factories import UserFactory

    guest = UserFactory(email="phone@example.test", name="Alexandra Featherstonehaugh")
    phone = new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = phone.new_page()

    def header_height(url):
        page.goto(url)
        return page.locator(".site-header").bounding_box()["height"]

    for url in ("/", "/spaces/?city=boulder"):
        assert header_height(url) < 80, f"anonymous {url}: {header_height(url):.0f} px"
    log_in(page, guest.email)
    for url in ("/", "/bookings/"):
        assert header_height(url) < 80, f"logged in {url}: {header_height(url):.0f} px"
