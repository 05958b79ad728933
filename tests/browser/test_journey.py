"""The whole journey in a real browser: a new visitor finds a Boulder space, signs up, requests
desks; the host approves in /host/; the guest sees it approved and writes to the host."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import HOST_EMAIL, axe_violations, describe, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GUEST = {"email": "sam@tinyteam.test", "name": "Sam Rivera", "company": "Tiny Team"}
GUEST_PASSWORD = "desks-by-the-month-2027"
HOSTILE_NOTE = "<script>window.__pwned = 1</script> '; DROP TABLE bookings_booking; --"


def _no_serious_a11y(page, name):
    found = axe_violations(page, name)
    assert not found, f"{name} {page.url}\n{describe(found)}"


def test_visitor_finds_a_space_signs_up_books_and_host_approves(
    new_context, site_data, shot, page_problems, run_jobs
):
    from accounts.services import host_enable
    from bookings.models import Booking

    host_enable(user=site_data["host"])
    listing = site_data["listing"]
    move_in = timezone.localdate() + datetime.timedelta(days=14)
    guest = new_context().new_page()
    dialogs = []
    guest.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # 1. Home: the search box.
    guest.goto("/")
    expect(guest.get_by_role("heading", level=1)).to_be_visible()
    shot(guest, "home")

    # 2. Boulder's page, from the home page's city list.
    guest.get_by_role("link", name=re.compile(r"^Boulder\b.*space")).click()
    expect(guest).to_have_url(re.compile(r"/spaces/boulder/$"))
    expect(guest.get_by_role("heading", level=1)).to_contain_text("Boulder")
    shot(guest, "boulder")

    # 3. Search from the home page for Boulder and 2 desks, then narrow to dedicated desks.
    guest.goto("/")
    guest.get_by_label("City").select_option("boulder")
    guest.get_by_label("Desks needed").fill("2")
    guest.get_by_label("Move-in date").fill(move_in.isoformat())
    guest.get_by_role("button", name="Search spaces").click()
    expect(guest).to_have_url(re.compile(r"/spaces/\?.*city=boulder"))
    results = guest.locator(".search-results")
    expect(results).to_contain_text("Private office above the mall")
    shot(guest, "search-boulder")

    guest.get_by_label("Type").select_option("dedicated_desk")
    guest.get_by_role("button", name="Show spaces").click()
    expect(guest).to_have_url(re.compile(r"type=dedicated_desk"))
    expect(guest).to_have_url(re.compile(r"desks=2"))  # filters kept
    expect(guest).to_have_url(re.compile(f"move_in={move_in.isoformat()}"))
    expect(results).to_contain_text(listing.title)
    expect(results).not_to_contain_text("Private office above the mall")
    expect(results).not_to_contain_text("LoDo brick and beam")
    shot(guest, "search-filtered")

    # 4. The space.
    results.get_by_role("link", name=re.compile(listing.title)).first.click()
    expect(guest).to_have_url(re.compile(re.escape(listing.get_absolute_url()) + r"(\?|$)"))
    expect(guest.get_by_role("heading", level=1)).to_have_text(listing.title)
    shot(guest, "detail")

    # 5. Request desks -> log in or sign up -> back to the booking form.
    guest.get_by_role("link", name=re.compile("Request desks")).first.click()
    expect(guest).to_have_url(re.compile(r"/accounts/login/\?next="))
    guest.get_by_role("link", name=re.compile("Create an account")).click()
    expect(guest).to_have_url(re.compile(r"/accounts/signup/"))
    guest.get_by_label("Email").fill(GUEST["email"])
    guest.get_by_label(re.compile(r"^Password:?$")).fill(GUEST_PASSWORD)
    guest.get_by_label("Password again").fill(GUEST_PASSWORD)
    guest.get_by_label("Your name").fill(GUEST["name"])
    guest.get_by_label("Company").fill(GUEST["company"])
    shot(guest, "signup")
    guest.get_by_role("button", name="Sign up").click()
    # The same answer whether or not the address had an account: the link is in the email.
    expect(guest.get_by_role("heading", level=1)).to_have_text("Check your email")
    run_jobs()  # the worker sends the welcome email
    (welcome,) = mail.outbox
    guest.goto(re.search(r"https?://\S+(/accounts/signin/\S+)", welcome.body)[1])
    guest.get_by_role("button", name="Log in and continue").click()
    expect(guest).to_have_url(re.compile(re.escape(listing.get_absolute_url()) + r"book/"))
    # The search's desks and move-in came along.
    expect(guest.get_by_label("Desks", exact=True)).to_have_value("2")
    expect(guest.get_by_label("Move-in date")).to_have_value(move_in.isoformat())
    shot(guest, "booking-form")
    _no_serious_a11y(guest, "booking-form")

    # 6. Request 2 desks for 3 months, with a note that tries to be a script.
    guest.get_by_label("Desks", exact=True).fill("2")
    guest.get_by_label("Term (months)").fill("3")
    guest.get_by_label("Message to the host").fill(HOSTILE_NOTE)
    guest.get_by_role("button", name="Request desks").click()
    expect(guest).to_have_url(re.compile(r"/bookings/\d+/$"))
    booking_url = guest.url
    expect(guest.locator(".status")).to_have_text("Requested")
    expect(guest.locator("main")).to_contain_text("<script>window.__pwned = 1</script>")
    shot(guest, "booking-requested")
    _no_serious_a11y(guest, "booking-page")
    booking = Booking.objects.get()
    assert (booking.desks, booking.months, booking.status) == (2, 3, "requested")
    assert booking.start == move_in
    assert booking.guest.email == GUEST["email"]

    # 7. The host logs into /host/ and approves.
    host = new_context().new_page()
    log_in(host, HOST_EMAIL, url="/host/")
    expect(host.locator("#site-name, h1").first).to_contain_text("PivotDesk")
    shot(host, "host-index")
    host.locator("#content a[href$='/bookings/booking/']").first.click()
    expect(host.locator("#result_list")).to_contain_text(GUEST["name"])
    shot(host, "host-bookings")
    host.locator("#result_list").get_by_role("link", name=f"#{booking.pk}", exact=True).click()
    expect(host).to_have_url(re.compile(rf"/host/bookings/booking/{booking.pk}/change/"))
    expect(host.locator("#content")).to_contain_text(GUEST["name"])
    shot(host, "host-booking")
    host.get_by_role("button", name="Approve").click()
    expect(host.locator(".messagelist")).to_contain_text("Approved")
    shot(host, "host-approved")
    booking.refresh_from_db()
    assert booking.status == "approved"

    # 8. The guest sees it approved and writes to the host.
    guest.goto(booking_url)
    expect(guest.locator(".status")).to_have_text("Approved")
    guest.locator(".reply-form textarea").fill("Thanks! We'll bring our own monitors.")
    guest.get_by_role("button", name="Send").click()
    expect(guest.locator(".thread")).to_contain_text("We'll bring our own monitors.")
    shot(guest, "guest-message")
    assert booking.messages.filter(body__contains="own monitors").exists()

    # Nothing the visitor typed ever ran as a script; no page broke the site's CSP.
    assert dialogs == []
    assert guest.evaluate("window.__pwned") is None
    assert page_problems == []
