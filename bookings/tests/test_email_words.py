"""What the booking emails say: to whom, in which words, with which headers."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from bookings import services
from bookings.models import Booking
from bookings.tasks import bookings_remind_hosts
from listings.tests.factories import ListingFactory

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


def day(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def words(d: datetime.date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def sent_to(address: str):
    return [m for m in mail.outbox if m.to == [address]]


@pytest.fixture
def big_booking():
    """3 desks × 6 months at $350: $1,050.00 a month, $6,300.00 in all."""
    listing = ListingFactory(desks=5, price_per_desk=Decimal("350.00"), title="Pearl Loft")
    return BookingFactory(listing=listing, desks=3, months=6, start=day(40))


def test_approval_formats_money_and_dates_and_says_what_happens_next(big_booking, run_jobs):
    services.booking_approve(booking=big_booking, host=big_booking.listing.host)
    run_jobs()
    [email] = sent_to(big_booking.guest.email)
    assert email.subject == "Approved: your desks at Pearl Loft"
    html = email.alternatives[0][0]
    for body in (email.body, html):
        assert "$6,300.00" in body and "$1,050.00 per month" in body
        assert words(big_booking.start) in body and "6300.00" not in body
        assert big_booking.listing.address in body
        assert big_booking.listing.host.email in body
        assert "arranges payment with you directly" in body
        assert f"/bookings/{big_booking.pk}/#messages" in body
        assert "Replies to this email are not read" in body


def test_headers_reply_to_no_reply_and_message_id_on_the_sites_domain(
    big_booking, run_jobs, settings
):
    settings.SITE_URL = "https://desks.example.org"
    services.message_create(booking=big_booking, author=big_booking.guest, body="Parking?")
    run_jobs()
    [email] = mail.outbox
    message = email.message()
    assert message["Message-ID"].endswith("@desks.example.org>")
    assert email.reply_to == ["PivotDesk no-reply <no-reply@desks.example.org>"]
    # Neither party's own address is given to the other before approval.
    assert big_booking.guest.email not in message["Reply-To"]
    assert email.subject == f"New message about booking #{big_booking.pk} at Pearl Loft"


def test_notice_speaks_to_the_guest_and_to_the_host(run_jobs):
    booking = BookingFactory(
        status=Booking.Status.APPROVED, start=day(-40), months=6, listing=ListingFactory()
    )
    services.booking_cancel(booking=booking, by=booking.guest)
    run_jobs()
    booking.refresh_from_db()
    [guest] = sent_to(booking.guest.email)
    [host] = sent_to(booking.listing.host.email)
    assert guest.subject.startswith(f"You gave notice: {booking.listing.title} ends ")
    assert guest.subject.endswith(f"ends {words(booking.end)}")
    assert "You gave 30 days' notice" in guest.body
    assert host.subject.startswith(f"Notice given: {booking.listing.title} ends ")
    assert f"{booking.guest.display_name} gave 30 days' notice" in host.body


def test_withdrawn_request_and_cancelled_booking_are_told_apart(run_jobs):
    pending = BookingFactory(start=day(20))
    approved = BookingFactory(status=Booking.Status.APPROVED, start=day(20))
    services.booking_cancel(booking=pending, by=pending.guest)
    services.booking_cancel(booking=approved, by=approved.guest)
    run_jobs()
    [guest] = sent_to(pending.guest.email)
    [host] = sent_to(pending.listing.host.email)
    assert guest.subject.startswith("You withdrew your request at")
    assert "You withdrew your request" in guest.body
    assert host.subject.startswith(f"Withdrawn: request #{pending.pk}")
    [guest] = sent_to(approved.guest.email)
    [host] = sent_to(approved.listing.host.email)
    assert guest.subject.startswith(f"You cancelled booking #{approved.pk}")
    assert host.subject.startswith(f"Cancelled: booking #{approved.pk}")


@pytest.mark.parametrize(("instant", "first_word"), [(True, "Booked"), (False, "New request")])
def test_the_hosts_email_says_booked_for_an_instant_booking(instant, first_word, run_jobs):
    listing = ListingFactory(instant_book=instant, desks=4, title="Walnut Room")
    booking = services.booking_request(
        guest=BookingFactory().guest, listing=listing, desks=2, start=day(30), months=1
    )
    run_jobs()
    [email] = sent_to(listing.host.email)
    assert email.subject == f"{first_word}: 2 desks at Walnut Room"
    assert words(booking.start) in email.body
    assert ("Please answer by" in email.body) is not instant


def test_a_host_is_reminded_once_a_day_before_the_deadline(run_jobs):
    waiting = BookingFactory(start=day(30), listing=ListingFactory(title="Attic"))
    fresh = BookingFactory(start=day(30))
    answered = BookingFactory(start=day(30), status=Booking.Status.APPROVED)
    two_days_ago = timezone.now() - datetime.timedelta(hours=50)
    Booking.objects.filter(pk__in=[waiting.pk, answered.pk]).update(created_at=two_days_ago)

    assert services.booking_remind_hosts() == 1
    assert services.booking_remind_hosts() == 0  # a second run queues nothing
    bookings_remind_hosts.enqueue()  # as the clock does, every hour
    run_jobs()
    [email] = mail.outbox
    assert email.to == [waiting.listing.host.email]
    assert email.subject.startswith("Answer by ") and f"request #{waiting.pk} at Attic" in (
        email.subject
    )
    assert "still waiting for your answer" in email.body
    assert fresh.listing.host.email not in {m.to[0] for m in mail.outbox}


def test_reply_to_and_message_id_as_a_real_smtp_server_receives_them(run_jobs, settings):
    from pivotdesk.tests.support import smtp_mailers, smtp_server

    settings.SITE_URL = "https://desks.example.org"
    booking = BookingFactory(listing=ListingFactory(title="Pearl Loft"))
    services.booking_approve(booking=booking, host=booking.listing.host)
    with smtp_server() as smtp:
        settings.MAILERS = smtp_mailers(smtp.port, timeout=5)
        run_jobs()
    [received] = smtp.received
    assert received["Reply-To"] == "PivotDesk no-reply <no-reply@desks.example.org>"
    assert received["Message-ID"].endswith("@desks.example.org>")
    assert received["Subject"] == "Approved: your desks at Pearl Loft"
    text = received.get_body(("plain",)).get_content()
    assert f"https://desks.example.org/bookings/{booking.pk}/#messages" in text


def test_a_reminder_answered_before_it_is_sent_is_not_sent(run_jobs):
    waiting = BookingFactory(start=day(30))
    Booking.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=50)
    )
    assert services.booking_remind_hosts() == 1
    services.booking_approve(booking=waiting, host=waiting.listing.host)
    run_jobs()
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Approved"]
