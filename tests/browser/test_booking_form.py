"""The booking form in a real browser: the price follows the fields, and a double click on a
slow connection sends one request."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _log_in_and_open_the_form(page, site_data):
    from accounts.tests.factories import UserFactory

    guest = UserFactory(email="double@example.test")
    log_in(page, guest.email)
    page.goto(site_data["listing"].get_absolute_url() + "book/?desks=3")
    return guest


def test_the_quote_follows_the_desks_and_months_as_they_change(page, site_data, page_problems):
    _log_in_and_open_the_form(page, site_data)  # $350 a desk, 8 desks
    quote = page.locator("[data-quote]")
    expect(quote).to_have_text("3 desks: $1,050.00 per month, $1,050.00 for 1 month.")
    page.get_by_label("Desks", exact=True).fill("2")
    page.get_by_label("Term (months)").fill("6")
    expect(quote).to_have_text("2 desks: $700.00 per month, $4,200.00 for 6 months.")
    # The "what you pay" block follows the desks too: the server's amounts for them.
    cost = page.locator("[data-cost]")
    expect(cost).to_contain_text("What you pay for 2 desks")
    expect(cost).to_contain_text("$700 all-in")
    page.get_by_label("Desks", exact=True).fill("40")
    expect(quote).to_contain_text("Enter between 1 and 8 desks")
    expect(cost).to_contain_text("What you pay for 2 desks")  # kept: 40 is no answer
    assert page_problems == []


def test_a_double_click_on_a_slow_connection_sends_one_request(page, site_data, page_problems):
    from bookings.models import Booking

    _log_in_and_open_the_form(page, site_data)
    move_in = max(site_data["listing"].available_from, date.today()) + timedelta(days=14)
    page.get_by_label("Move-in date").fill(move_in.isoformat())

    # A slow connection: every request takes 1.5 s to get anywhere.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 1500, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    posts = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    button = page.locator("[data-booking-form] button[type=submit]")
    expect(button).to_have_text("Request desks")
    # Click, and 300 ms later (nothing seems to happen) click again, as a person would.
    page.evaluate(
        """() => {
          const button = document.querySelector("[data-booking-form] button[type=submit]");
          button.click();
          setTimeout(() => button.click(), 300);
        }"""
    )
    expect(page).to_have_url(re.compile(r"/bookings/\d+/$"), timeout=15_000)
    assert Booking.objects.count() == 1
    assert len(posts) == 1, posts  # the button disabled itself after the first click
    expect(page.locator("main")).to_contain_text("$1,050.00")  # the confirmation's total
    assert page_problems == []
