"""A host's /host/ in a real browser: the bookings list at desk and phone widths, the
booking page's buttons (decline with a reason, reply), axe on the listing form with photos,
no time-zone note on date fields."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import (
    HOST_EMAIL,
    assert_no_horizontal_scroll,
    axe_violations,
    describe,
    log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COLUMNS = ["Space", "Guest", "Desks", "Dates", "Status", "Answer by"]


def _host_page(new_context, site_data, **context):
    from accounts.services import host_enable

    host_enable(user=site_data["host"])
    page = new_context(**context).new_page()
    log_in(page, HOST_EMAIL, url="/host/login/")
    expect(page.locator("#site-name")).to_be_visible()
    return page


@pytest.fixture
def requests_waiting(site_data):
    from accounts.tests.factories import UserFactory
    from bookings.tests.factories import BookingFactory

    listing = site_data["listing"]
    return [
        BookingFactory(
            listing=listing,
            guest=UserFactory(name=name, company="A team with a rather long name, Inc."),
            desks=desks,
            months=6,
        )
        for name, desks in [("Sam Okafor", 2), ("Priya Raman-Whitfield", 3)]
    ]


def test_the_bookings_list_fits_a_desktop_and_is_cards_on_a_phone(
    new_context, site_data, requests_waiting, shot, page_problems
):
    page = _host_page(new_context, site_data)
    page.goto("/host/bookings/booking/")
    expect(page.get_by_role("heading", name="Your bookings", level=1)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^\(2\) Your bookings"))
    for column in COLUMNS:
        expect(page.locator("#result_list thead").get_by_text(column, exact=True)).to_be_visible()
    shot(page, "desktop-list")
    assert_no_horizontal_scroll(page, 1280)
    # The list itself does not scroll sideways inside its box, and its last column shows.
    results = page.locator("#changelist .results")
    assert results.evaluate("(el) => el.scrollWidth <= el.clientWidth"), "the list scrolls"
    answer_by = page.locator("#result_list thead th.column-answer").bounding_box()
    assert answer_by["x"] + answer_by["width"] <= 1280

    phone = _host_page(new_context, site_data, viewport={"width": 375, "height": 812})
    phone.goto("/host/bookings/booking/")
    expect(phone.locator("#result_list thead")).to_be_hidden()
    rows = phone.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    shot(phone, "phone-cards")
    assert_no_horizontal_scroll(phone, 375)
    first = rows.first
    box = first.bounding_box()
    assert box["width"] <= 375 and box["height"] > 100  # a card, not a one-line row
    labels = phone.evaluate(
        """(row) => [...row.querySelectorAll('td')].map(
            td => getComputedStyle(td, '::before').content)""",
        first.element_handle(),
    )
    assert [f'"{c}"' for c in COLUMNS] == [label for label in labels if label != "none"]
    expect(
        first.get_by_text("Priya Raman-Whitfield").or_(first.get_by_text("Sam Okafor"))
    ).to_be_visible()
    found = axe_violations(phone, "phone-host-list")
    assert found == [], describe(found)
    assert page_problems == []


def test_decline_with_a_reason_and_reply_from_the_booking_page(
    new_context, site_data, requests_waiting, shot, page_problems
):
    from bookings.models import Booking

    first, second = requests_waiting
    page = _host_page(new_context, site_data)
    page.goto(f"/host/bookings/booking/{first.pk}/change/")
    expect(page.get_by_role("heading", name=f"Booking #{first.pk}", level=1)).to_be_visible()
    approve = page.get_by_role("button", name="Approve", exact=True)
    decline = page.get_by_role("button", name="Decline", exact=True)
    expect(approve).to_be_visible()
    expect(decline).to_be_visible()
    assert approve.bounding_box()["height"] >= 36  # a button to press, not a link-sized tag
    shot(page, "booking-page")
    found = axe_violations(page, "host-booking-page")
    assert found == [], describe(found)

    page.get_by_label("Reply to the guest").fill("Happy to host you. Which desks suit?")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Happy to host you. Which desks suit?").first).to_be_visible()
    assert first.messages.get().author == site_data["host"]

    page.get_by_label("Reason (optional, the guest reads it)").fill("Closed for a refit in March.")
    page.get_by_role("button", name="Decline", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Declined 1 booking request")
    first.refresh_from_db()
    assert first.status == Booking.Status.DECLINED
    assert first.messages.filter(body="Closed for a refit in March.").exists()
    expect(page.get_by_role("button", name="Decline", exact=True)).to_have_count(0)
    expect(page).to_have_title(re.compile(r"^\(1\) Booking #"))  # one left waiting

    # The last one, approved from the list's row.
    page.goto("/host/bookings/booking/")
    page.get_by_role("button", name=f"Approve #{second.pk}", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Approved 1 booking request")
    second.refresh_from_db()
    assert second.status == Booking.Status.APPROVED
    expect(page.locator("#site-name .host-waiting")).to_have_count(0)
    assert page_problems == []


def test_the_listing_form_with_photos_passes_axe_and_speaks_of_no_time_zone(
    new_context, site_data, shot, page_problems
):
    # A browser far from the server's time zone: Django's admin would add "Note: You are
    # N hours ahead of server time" under each date field.
    page = _host_page(new_context, site_data, timezone_id="Asia/Tokyo")
    for url in (
        "/host/listings/listing/add/",
        f"/host/listings/listing/{site_data['listing'].pk}/change/",
    ):
        page.goto(url)
        expect(page.get_by_label("Photo file").first).to_be_attached()
        expect(page.locator("#id_available_from")).to_be_visible()
        expect(page.get_by_text(re.compile("server time"))).to_be_hidden()
        shot(page, url.strip("/").replace("/", "-"))
        found = axe_violations(page, url.strip("/").replace("/", "-"))
        assert found == [], describe(found)
    assert page_problems == []


def test_the_site_header_counts_requests_waiting_for_the_host(
    new_context, site_data, requests_waiting, page_problems
):
    page = _host_page(new_context, site_data)
    page.goto("/bookings/")
    link = page.get_by_role("link", name="Host admin: 2 requests waiting for your answer")
    expect(link).to_be_visible()
    expect(link).to_contain_text("2")
    assert page_problems == []
