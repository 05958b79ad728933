"""The first week, in real browsers with a real SMTP server: two teams ask for the same desks,
the host approves in bulk (first come, first served), archives a space with a waiting request,
and a guest gives notice. The emails that reach the mail server say the right things."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pivotdesk.tests.support import smtp_mailers, smtp_server

from .conftest import HOST_EMAIL, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GUEST_PASSWORD = "correct-horse-battery"  # accounts.tests.factories


def _request(page, listing, desks, move_in):
    page.goto(listing.get_absolute_url() + "book/")
    page.get_by_label("Desks", exact=True).fill(str(desks))
    page.get_by_label("Move-in date").fill(move_in.isoformat())
    page.get_by_label("Term (months)").fill("3")
    page.locator("[data-booking-form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+/$"))


def _bulk(host, path, pks, action):
    host.goto(path)
    for pk in pks:
        host.locator(f"input.action-select[value='{pk}']").check()
    host.locator("select[name=action]").select_option(action)
    host.locator(".actions button[type=submit]").click()


def test_two_teams_one_host_bulk_approve_archive_and_notice(
    new_context, site_data, settings, run_jobs, page_problems
):
    from accounts.services import host_enable
    from accounts.tests.factories import UserFactory
    from bookings.models import Booking
    from bookings.tests.factories import BookingFactory

    host_enable(user=site_data["host"])
    loft = site_data["listing"]  # 8 desks at $350
    nobo = site_data["others"][0]  # the host's other space
    lodo = site_data["others"][2]
    ann = UserFactory(email="ann@firstteam.test", name="Ann First")
    ben = UserFactory(email="ben@secondteam.test", name="Ben Second")
    today = timezone.localdate()
    move_in = max(today, loft.available_from, nobo.available_from) + datetime.timedelta(days=20)
    running = BookingFactory(
        listing=lodo,
        guest=ann,
        desks=2,
        status="approved",
        start=today - datetime.timedelta(days=40),
        months=6,
    )

    # Two teams ask for the loft's desks; together they do not fit. Ann asks first.
    ann_page = new_context().new_page()
    log_in(ann_page, ann.email, GUEST_PASSWORD)
    _request(ann_page, loft, 5, move_in)
    ben_page = new_context().new_page()
    log_in(ben_page, ben.email, GUEST_PASSWORD)
    _request(ben_page, loft, 4, move_in)
    _request(ben_page, nobo, 2, move_in)
    first, second = Booking.objects.filter(listing=loft).order_by("created_at")
    waiting_at_nobo = Booking.objects.get(listing=nobo)

    # The host approves both at once: the first asker gets the desks, the host reads why the
    # other did not fit.
    host = new_context().new_page()
    log_in(host, HOST_EMAIL, url="/host/login/")
    _bulk(host, "/host/bookings/booking/", [second.pk, first.pk], "approve_selected")
    messages = host.locator(".messagelist")
    expect(messages).to_contain_text("Approved 1 booking request.")
    expect(messages).to_contain_text(f"Request #{second.pk} from Ben Second")
    expect(messages).to_contain_text("did not fit")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("approved", "declined")

    # The host archives the other space: the page says what happens, and asks.
    _bulk(host, "/host/listings/listing/", [nobo.pk], "archive_listings")
    expect(host.locator("#content")).to_contain_text(f"Request #{waiting_at_nobo.pk}")
    expect(host.locator("#content")).to_contain_text("will be declined")
    host.get_by_role("button", name="Yes, archive this space").click()
    expect(host.locator(".messagelist")).to_contain_text("Archived 1 space.")
    waiting_at_nobo.refresh_from_db()
    assert waiting_at_nobo.status == "declined"

    # Ann gives notice on the booking that is running: a question first, then the answer.
    ann_page.goto(running.get_absolute_url())
    ann_page.get_by_role("link", name="Give 30 days' notice").click()
    expect(ann_page.get_by_role("heading", level=1)).to_have_text("Give 30 days' notice?")
    ann_page.get_by_role("button", name="Give notice").click()
    expect(ann_page).to_have_url(re.compile(rf"/bookings/{running.pk}/$"))
    running.refresh_from_db()
    assert running.notice_given_at is not None

    # The worker sends everything to a real SMTP server.
    with smtp_server() as smtp:
        settings.MAILERS = smtp_mailers(smtp.port, timeout=5)
        run_jobs()
    mail = {}
    for message in smtp.received:
        mail.setdefault(message["To"], []).append(message)
    site = settings.SITE_URL

    def subjects(address):
        return sorted(str(m["Subject"]) for m in mail.get(address, []))

    def body(message):
        return message.get_body(preferencelist=("plain",)).get_content()

    approved = next(m for m in mail[ann.email] if m["Subject"].startswith("Approved"))
    assert "$1,750.00" in body(approved)  # 5 desks x $350, as the site writes money
    assert f"{site}/bookings/{first.pk}/" in body(approved)
    # Spoken to each reader, on one line (a folded subject would start with a space).
    assert f"You gave notice: {lodo.title} ends {running.end:%B} {running.end.day}, " in "".join(
        subjects(ann.email)
    )
    assert any(s.startswith("Notice given: ") for s in subjects(lodo.host.email))
    assert not any(s.startswith(" ") for a in mail for s in subjects(a))
    declined = [m for m in mail[ben.email] if m["Subject"].startswith("Declined")]
    assert len(declined) == 2  # did not fit; the space was archived
    assert any(f"{site}/bookings/{second.pk}/" in body(m) for m in declined)
    # Three requests, none instant: "New request", whatever happened to them since.
    new_requests = [s for s in subjects(HOST_EMAIL) if s.startswith("New request")]
    assert len(new_requests) == 3
    assert all(m["Message-ID"] for messages in mail.values() for m in messages)
    assert page_problems == []
