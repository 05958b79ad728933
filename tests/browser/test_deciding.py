"""Deciding on a space, in a real browser: a guest books a tour afternoon of three spaces,
the host sees the tours in /host/, the guest later requests desks with the form pre-filled
from the tour; a month into a booking the guest reviews the space, the host replies in
/host/, and the anonymous listing page shows both."""

import datetime
import re

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import HOST_EMAIL, axe_violations, describe, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REVIEW_TEXT = "Bright, quiet mornings and the coffee is good. Parking is tight."
REPLY_TEXT = "Thank you, Sam! Two more parking spots open next month."


def _no_serious_a11y(page, name):
    found = axe_violations(page, name)
    assert not found, f"{name} {page.url}\n{describe(found)}"


def test_a_guest_tours_three_spaces_requests_desks_reviews_and_the_host_replies(
    new_context, site_data, shot, page_problems
):
    from accounts.services import host_enable
    from accounts.tests.factories import UserFactory
    from bookings.models import Booking, Review
    from bookings.tests.factories import BookingFactory
    from tours.models import Tour
    from tours.tests.factories import open_every_day

    host_enable(user=site_data["host"])
    loft = site_data["listing"]  # the host's: 8 desks on Pearl Street, Boulder
    nobo = site_data["others"][0]  # the host's too, in Boulder
    lodo = site_data["others"][2]  # another host's, in Denver
    for listing in (loft, nobo, lodo):
        open_every_day(listing)  # tour hours 9:00-17:00, every day
    sam = UserFactory(email="sam@tinyteam.test", name="Sam Rivera", company="Tiny Team")
    today = timezone.localdate()
    tour_day = today + datetime.timedelta(days=2)
    move_in = max(today, loft.available_from) + datetime.timedelta(days=20)

    # Before anything happens, a visitor reads the loft's page: no reviews yet.
    visitor = new_context().new_page()
    visitor.goto(loft.get_absolute_url())
    expect(visitor.locator("section.reviews")).to_contain_text("No reviews yet")

    # 1. From the loft's page the guest plans an afternoon: the loft and two more spaces.
    guest = new_context().new_page()
    log_in(guest, sam.email)
    guest.goto(loft.get_absolute_url())
    guest.get_by_role("link", name=re.compile("Plan a tour afternoon")).click()
    expect(guest.get_by_role("heading", level=1)).to_have_text("Plan a tour afternoon")
    expect(guest.get_by_label(f"{loft.title} (Boulder)")).to_be_checked()
    guest.get_by_label(f"{nobo.title} (Boulder)").check()
    guest.get_by_label(f"{lodo.title} (Denver)").check()
    guest.get_by_label("Day").fill(tour_day.isoformat())
    guest.get_by_role("button", name="Show plans").click()
    plan = guest.locator("form.tour-plan").first
    expect(plan.locator("li")).to_have_count(3)
    plan.get_by_label("Desks you need").fill("3")
    plan.get_by_label("From (move-in date)").fill(move_in.isoformat())
    _no_serious_a11y(guest, "tour-afternoon-plans")
    shot(guest, "afternoon-plans")
    plan.get_by_role("button", name="Book these 3 tours").click()
    expect(guest).to_have_url(re.compile(r"/accounts/tours/$"))
    expect(guest.locator("main")).to_contain_text("3 tours booked")
    for listing in (loft, nobo, lodo):
        expect(guest.locator(".tour-list")).to_contain_text(listing.title)
    tours = Tour.objects.filter(guest=sam, status=Tour.Status.BOOKED)
    assert sorted(t.listing_id for t in tours) == sorted([loft.pk, nobo.pk, lodo.pk])
    assert {(t.desks, t.move_in) for t in tours} == {(3, move_in)}
    assert len({t.afternoon_id for t in tours}) == 1
    assert {timezone.localtime(t.starts_at).date() for t in tours} == {tour_day}

    # 2. The host finds the two tours of their spaces in /host/ (not the other host's).
    host = new_context().new_page()
    log_in(host, HOST_EMAIL, url="/host/")
    host.locator("#tours-tour").get_by_role("link", name="Tours").click()
    expect(host).to_have_url(re.compile(r"/host/tours/tour/"))
    rows = host.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=loft.title)).to_contain_text("Sam Rivera (Tiny Team)")
    expect(rows.filter(has_text=nobo.title)).to_contain_text("Sam Rivera (Tiny Team)")
    expect(host.locator("#result_list")).not_to_contain_text(lodo.title)
    shot(host, "host-tours")

    # 3. Time passes: the afternoon is over (the tours now lie three days back).
    Tour.objects.filter(guest=sam).update(
        starts_at=F("starts_at") - datetime.timedelta(days=3),
        ends_at=F("ends_at") - datetime.timedelta(days=3),
    )

    # 4. The guest asks for desks at the loft: the form holds what they told the host.
    guest.goto("/accounts/tours/")
    toured = guest.locator(".tour-list li").filter(has_text=loft.title)
    toured.get_by_role("link", name=re.compile(r"^Request 3 desks from ")).click()
    expect(guest).to_have_url(re.compile(r"/book/\?desks=3&move_in=\d{4}-\d\d-\d\d$"))
    expect(guest.get_by_label("Desks", exact=True)).to_have_value("3")
    expect(guest.get_by_label("Move-in date")).to_have_value(move_in.isoformat())
    guest.get_by_label("Term (months)").fill("6")
    shot(guest, "prefilled-request")
    guest.locator("[data-booking-form] button[type=submit]").click()
    expect(guest).to_have_url(re.compile(r"/bookings/\d+/$"))
    request = Booking.objects.get(guest=sam, listing=loft)
    assert (request.desks, request.start, request.months) == (3, move_in, 6)
    assert request.status == Booking.Status.REQUESTED

    # 5. A month into an earlier booking of the loft, the guest reviews it.
    stay = BookingFactory(
        listing=loft,
        guest=sam,
        desks=2,
        status=Booking.Status.APPROVED,
        start=today - datetime.timedelta(days=40),
        months=6,
    )
    guest.goto(stay.get_absolute_url())
    guest.get_by_role("link", name="Review this space").click()
    expect(guest.get_by_role("heading", level=1)).to_have_text(f"Review {loft.title}")
    for group, stars in (
        ("Overall", 5),
        ("The space", 5),
        ("The host", 4),
        ("Value for money", 4),
    ):
        guest.get_by_role("group", name=group).get_by_label(f"{stars} stars").check()
    guest.get_by_label("Your review").fill(REVIEW_TEXT)
    _no_serious_a11y(guest, "review-form")
    guest.get_by_role("button", name="Publish my review").click()
    expect(guest.locator("main")).to_contain_text("your review is on the space's page")
    review = Review.objects.get(booking=stay)
    assert (review.overall, review.space, review.host, review.value) == (5, 5, 4, 4)

    # 6. The host replies once, in /host/.
    host.goto("/host/")
    host.locator("#bookings-review").get_by_role("link", name="Reviews").click()
    host.locator("#result_list tbody tr").first.locator("th a, td a").first.click()
    expect(host.locator("#content")).to_contain_text(REVIEW_TEXT)
    host.get_by_label(re.compile("Your public reply")).fill(REPLY_TEXT)
    host.get_by_role("button", name="Save", exact=True).click()
    expect(host.locator(".messagelist")).to_be_visible()
    review.refresh_from_db()
    assert review.reply == REPLY_TEXT

    # 7. Anyone (a fresh browser: the first one may keep the page for a minute) sees the
    # review and the reply on the listing's page.
    visitor = new_context().new_page()
    visitor.goto(loft.get_absolute_url())
    reviews = visitor.locator("section.reviews")
    expect(reviews).to_contain_text("5.0 out of 5")
    expect(reviews).to_contain_text("1 review,")
    shown = reviews.locator(f"#review-{review.pk}")
    expect(shown).to_contain_text(REVIEW_TEXT)
    expect(shown).to_contain_text("Sam")
    expect(shown).not_to_contain_text("Rivera")
    expect(shown.locator(".review-reply")).to_contain_text(REPLY_TEXT)
    _no_serious_a11y(visitor, "listing-with-review")
    shot(visitor, "listing-with-review")
    assert page_problems == []
