"""The waitlist in a real browser: a guest joins the line at a full space, another guest
gives notice, the first takes up the offer from its email's link, and the host approves."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import HOST_EMAIL, axe_violations, describe, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _no_serious_a11y(page, name):
    found = axe_violations(page, name)
    assert not found, f"{name} {page.url}\n{describe(found)}"


def test_a_guest_waits_gets_an_offer_takes_it_and_the_host_approves(
    new_context, site_data, shot, page_problems, run_jobs
):
    from accounts.services import host_enable
    from accounts.tests.factories import UserFactory
    from bookings.models import Booking
    from bookings.tests.factories import BookingFactory

    host_enable(user=site_data["host"])
    listing = site_data["others"][0]  # Quiet hot desks in NoBo: 4 desks
    today = timezone.localdate()
    leaving = UserFactory(email="leaving@example.test")
    running = BookingFactory(
        listing=listing,
        guest=leaving,
        desks=4,
        status="approved",
        start=today - datetime.timedelta(days=30),
        months=12,
    )
    waiting = UserFactory(email="waiting@example.test", name="Wren Waiting")
    move_in = today + datetime.timedelta(days=45)

    # 1. The space is full; the guest joins its line from the listing page.
    guest = new_context().new_page()
    log_in(guest, waiting.email)
    guest.goto(listing.get_absolute_url())
    guest.get_by_role("link", name=re.compile("Join the waitlist")).click()
    expect(guest.get_by_role("heading", level=1)).to_contain_text("Join the waitlist")
    guest.get_by_label("Desks", exact=True).fill("2")
    guest.get_by_label("Move-in date").fill(move_in.isoformat())
    guest.get_by_label("Term (months)").fill("3")
    _no_serious_a11y(guest, "waitlist-join")
    guest.get_by_role("button", name="Join the waitlist").click()
    expect(guest).to_have_url(re.compile(r"/account/waitlist/"))
    expect(guest.locator("main")).to_contain_text("number 1 in line")
    shot(guest, "in-line")
    _no_serious_a11y(guest, "waitlist-mine")

    # 2. Another guest gives notice on the booking that fills the space.
    other = new_context().new_page()
    log_in(other, leaving.email)
    other.goto(f"/bookings/{running.pk}/cancel/")
    other.get_by_role("button", name="Give notice").click()
    expect(other.locator("main")).to_contain_text("Done")

    # 3. The worker offers the freed desks and emails the guest one link.
    run_jobs()
    [offer] = [m for m in mail.outbox if waiting.email in m.to]
    link = re.search(r"https?://\S+/waitlist/offer/\S+/", offer.body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)

    # 4. The guest takes the desks up: a request to the host.
    guest.goto(path)
    expect(guest.get_by_role("heading", level=1)).to_contain_text("Desks held for you")
    _no_serious_a11y(guest, "waitlist-offer")
    shot(guest, "offer")
    guest.get_by_label("Message to the host").fill("Thanks for the spot!")
    guest.get_by_role("button", name="Take the desks").click()
    expect(guest).to_have_url(re.compile(r"/bookings/\d+/$"))
    request = Booking.objects.get(guest=waiting)
    assert (request.desks, request.months, request.status) == (2, 3, "requested")

    # 5. The host approves it in /host/.
    host = new_context().new_page()
    log_in(host, HOST_EMAIL, url="/host/")
    expect(host.locator("#content")).to_contain_text("Wren Waiting")
    host.goto(f"/host/bookings/booking/{request.pk}/change/")
    host.get_by_role("button", name="Approve").click()
    expect(host.locator(".messagelist")).to_contain_text("Approved")
    request.refresh_from_db()
    assert request.status == "approved"
    assert page_problems == []
