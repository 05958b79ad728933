"""Booking emails leave after commit, all of one commit (or one bulk action) over one mail
connection, and a mail server that is down or hanging never fails the booking."""

import datetime
import io
import logging
import socket
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.emails import booking_emails_resend
from bookings.models import Booking, UnsentEmail
from listings.tests.factories import ListingFactory
from pivotdesk.tests.support import closed_port, smtp_mailers, smtp_server

from .factories import BookingFactory
from .test_admin import host_with_permissions

pytestmark = pytest.mark.django_db


def soon(days=7):
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def approval_with_two_auto_declines():
    """A request whose approval declines two others: three emails from one commit."""
    listing = ListingFactory(desks=5)
    chosen = BookingFactory(listing=listing, desks=3, start=soon(10))
    for _ in range(2):
        BookingFactory(listing=listing, desks=3, start=soon(12))
    return chosen


@pytest.fixture
def hung_mail_server(settings):
    """A local SMTP port that accepts connections and never says a word; yields the list of
    connections it accepted."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings.MAILERS = smtp_mailers(listener.getsockname()[1], timeout=1)
    yield accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_all_emails_of_an_approval_share_one_connection_to_a_hung_mail_server(
    approval_with_two_auto_declines, hung_mail_server, django_capture_on_commit_callbacks, caplog
):
    chosen = approval_with_two_auto_declines
    with caplog.at_level(logging.ERROR, logger="bookings.emails"):
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_approve(booking=chosen, host=chosen.listing.host)

    # One wait for EMAIL_TIMEOUT, not one per email (three here, N + 1 in general).
    assert len(hung_mail_server) == 1
    assert Booking.objects.get(pk=chosen.pk).status == Booking.Status.APPROVED
    assert Booking.objects.filter(status=Booking.Status.DECLINED).count() == 2
    # The operator can tell which emails were lost.
    [record] = [r for r in caplog.records if r.name == "bookings.emails"]
    assert "not sent (3)" in record.getMessage()
    assert f"approved to guest of booking #{chosen.pk}" in record.getMessage()


def test_all_emails_of_an_approval_arrive(
    approval_with_two_auto_declines, django_capture_on_commit_callbacks
):
    chosen = approval_with_two_auto_declines
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_approve(booking=chosen, host=chosen.listing.host)
    declined = Booking.objects.filter(status=Booking.Status.DECLINED)
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox) == sorted(
        [(chosen.guest.email, "Approved")] + [(b.guest.email, "Declined") for b in declined]
    )


def test_an_approval_reaches_a_real_smtp_server(
    approval_with_two_auto_declines, settings, django_capture_on_commit_callbacks
):
    """MAILERS as settings build it from EMAIL_URL, against aiosmtpd on loopback."""
    chosen = approval_with_two_auto_declines
    with smtp_server() as smtp:
        settings.MAILERS = smtp_mailers(smtp.port, timeout=5)
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_approve(booking=chosen, host=chosen.listing.host)
    assert len(smtp.received) == 3
    [approved] = [m for m in smtp.received if m["Subject"].startswith("Approved")]
    assert approved["To"] == chosen.guest.email
    assert approved.get_body(("plain",)).get_content().strip()
    assert chosen.listing.title in approved.get_body(("html",)).get_content()


@pytest.mark.django_db(transaction=True)
def test_emails_of_a_rolled_back_savepoint_are_never_sent():
    listing = ListingFactory(desks=5)
    chosen = BookingFactory(listing=listing, desks=3, start=soon(10))
    BookingFactory(listing=listing, desks=3, start=soon(12))

    class Abort(Exception):
        pass

    with transaction.atomic():
        kept = services.booking_request(
            guest=UserFactory(), listing=listing, desks=1, start=soon(20), months=1
        )
        with pytest.raises(Abort), transaction.atomic():
            services.booking_approve(booking=chosen, host=listing.host)
            raise Abort
        assert mail.outbox == []  # nothing before the commit
    [email] = mail.outbox  # the request's email; neither the approval's nor the decline's
    assert email.to == [listing.host.email] and email.subject.startswith("New request")
    assert Booking.objects.get(pk=kept.pk).status == Booking.Status.REQUESTED
    assert Booking.objects.get(pk=chosen.pk).status == Booking.Status.REQUESTED


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_is_down_does_not_fail_the_hosts_approval(client, settings):
    settings.MAILERS = smtp_mailers(closed_port(), timeout=2)
    booking = BookingFactory(start=soon())
    client.force_login(booking.listing.host)

    # Committed for real, so the emails are tried inside the request, as in production.
    response = client.post(f"/bookings/{booking.pk}/approve/")

    assert response.status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.APPROVED
    assert "Approved" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_bulk_approve_sends_every_email_over_one_connection_to_a_hung_mail_server(
    client, hung_mail_server, caplog
):
    """Each booking commits on its own, so without the batch each would open its own
    connection and wait EMAIL_TIMEOUT: twenty selected bookings would pass the router's 30 s."""
    listing = ListingFactory(desks=10)
    chosen = [BookingFactory(listing=listing, desks=1, start=soon(10 + i)) for i in range(4)]
    closed = BookingFactory(listing=listing, status=Booking.Status.CANCELLED)
    client.force_login(host_with_permissions(listing.host))

    with caplog.at_level(logging.ERROR, logger="bookings.emails"):
        response = client.post(
            "/host/bookings/booking/",
            {"action": "approve_selected", "_selected_action": [b.pk for b in [*chosen, closed]]},
        )

    assert response.status_code == 302
    assert len(hung_mail_server) == 1
    assert Booking.objects.filter(status=Booking.Status.APPROVED).count() == 4
    [record] = [r for r in caplog.records if r.name == "bookings.emails"]
    assert "not sent (4)" in record.getMessage()


def test_a_bulk_approve_mails_what_committed_once_all_are_done(
    client, django_capture_on_commit_callbacks
):
    listing = ListingFactory(desks=2)
    fits = BookingFactory(listing=listing, desks=2, start=soon(10))
    too_many = BookingFactory(listing=listing, desks=3, start=soon(10))
    client.force_login(host_with_permissions(listing.host))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/host/bookings/booking/",
            {"action": "approve_selected", "_selected_action": [fits.pk, too_many.pk]},
        )
        assert mail.outbox == []  # nothing before the commit

    # The approval declined the request that no longer fits; approving that one was refused.
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox) == sorted(
        [(fits.guest.email, "Approved"), (too_many.guest.email, "Declined")]
    )


# --- kept and resent ------------------------------------------------------------------


def test_emails_the_mail_server_refused_are_kept_and_resent_when_it_is_back(
    approval_with_two_auto_declines, settings, django_capture_on_commit_callbacks
):
    chosen = approval_with_two_auto_declines
    settings.MAILERS = smtp_mailers(closed_port(), timeout=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_approve(booking=chosen, host=chosen.listing.host)
    kept = UnsentEmail.objects.all()
    assert sorted((u.kind, u.to) for u in kept) == [
        ("approved", "guest"),
        ("declined", "guest"),
        ("declined", "guest"),
    ]
    assert all("ConnectionRefusedError" in u.last_error for u in kept)

    # Still down: kept, one more try counted.
    out = io.StringIO()
    call_command("resend_emails", stdout=out)
    assert "Resent 0 email(s); 3 failed again" in out.getvalue()
    assert [u.attempts for u in UnsentEmail.objects.all()] == [2, 2, 2]

    with smtp_server() as smtp:
        settings.MAILERS = smtp_mailers(smtp.port, timeout=5)
        out = io.StringIO()
        call_command("resend_emails", stdout=out)
        call_command("resend_emails", stdout=io.StringIO())  # nothing left: nothing twice
    assert "Resent 3 email(s); 0 failed again, 0 given up." in out.getvalue()
    assert sorted(m["Subject"].split(":")[0] for m in smtp.received) == [
        "Approved",
        "Declined",
        "Declined",
    ]
    assert not UnsentEmail.objects.exists()


def test_resend_gives_up_after_three_days_and_says_so(settings, caplog):
    booking = BookingFactory()
    old = UnsentEmail.objects.create(booking=booking, kind="request_new", to="host")
    fresh = UnsentEmail.objects.create(booking=booking, kind="message_new", to="guest")
    UnsentEmail.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3, minutes=1)
    )
    with smtp_server() as smtp:
        settings.MAILERS = smtp_mailers(smtp.port, timeout=5)
        with caplog.at_level(logging.ERROR, logger="bookings.emails"):
            counts = booking_emails_resend()
    assert counts == {"sent": 1, "failed": 0, "given_up": 1}
    assert [m["Subject"].split(" ")[:2] for m in smtp.received] == [["New", "message"]]
    [record] = [r for r in caplog.records if r.name == "bookings.emails"]
    assert f"request_new to host of booking #{booking.pk}" in record.getMessage()
    assert not UnsentEmail.objects.filter(pk__in=[old.pk, fresh.pk]).exists()
