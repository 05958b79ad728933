"""Booking emails are jobs of the service's transaction, sent by the worker: a rolled-back
booking mails no one, a mail server that is down or hangs never touches a request, and an
email whose job runs twice arrives once."""

import datetime
import socket
import threading
import time

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.emails import BookingEmail, EmailKind, Recipient, booking_email_send
from bookings.models import Booking
from jobs.services import message_id
from listings.models import Listing
from listings.tests.factories import ListingFactory
from pivotdesk.tests.support import closed_port, smtp_mailers, smtp_server

from .factories import BookingFactory
from .test_admin import host_with_permissions

pytestmark = pytest.mark.django_db


def soon(days=7):
    return timezone.localdate() + datetime.timedelta(days=days)


def email_jobs():
    return DBTaskResult.objects.filter(task_path=booking_email_send.module_path)


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


def test_an_approval_queues_one_job_per_email_and_the_worker_sends_them(
    approval_with_two_auto_declines, run_jobs
):
    chosen = approval_with_two_auto_declines
    services.booking_approve(booking=chosen, host=chosen.listing.host)
    assert mail.outbox == []  # the host's request sent nothing
    assert email_jobs().count() == 3

    run_jobs()
    declined = Booking.objects.filter(status=Booking.Status.DECLINED)
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox) == sorted(
        [(chosen.guest.email, "Approved")] + [(b.guest.email, "Declined") for b in declined]
    )
    assert set(email_jobs().values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_an_approval_reaches_a_real_smtp_server(
    approval_with_two_auto_declines, settings, run_jobs
):
    """MAILERS as settings build it from EMAIL_URL, against aiosmtpd on loopback."""
    chosen = approval_with_two_auto_declines
    services.booking_approve(booking=chosen, host=chosen.listing.host)
    with smtp_server() as smtp:
        settings.MAILERS = smtp_mailers(smtp.port, timeout=5)
        run_jobs()
    assert len(smtp.received) == 3
    [approved] = [m for m in smtp.received if m["Subject"].startswith("Approved")]
    # Named by the email's key: a repeat (a worker killed mid-send) has the same Message-ID.
    [job] = [j for j in email_jobs() if j.args_kwargs["kwargs"]["kind"] == "approved"]
    key = BookingEmail(**job.args_kwargs["kwargs"]).key
    assert approved["Message-ID"] == message_id(key=key)
    assert approved["To"] == chosen.guest.email
    assert approved.get_body(("plain",)).get_content().strip()
    assert chosen.listing.title in approved.get_body(("html",)).get_content()


def test_emails_of_a_rolled_back_savepoint_are_never_queued(run_jobs):
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
    assert email_jobs().count() == 1  # the request's; neither the approval's nor the decline's
    run_jobs()
    [email] = mail.outbox
    assert email.to == [listing.host.email] and email.subject.startswith("New request")
    assert Booking.objects.get(pk=kept.pk).status == Booking.Status.REQUESTED
    assert Booking.objects.get(pk=chosen.pk).status == Booking.Status.REQUESTED


def test_a_hung_mail_server_never_holds_the_hosts_approval(client, hung_mail_server):
    """Today's request does no mail at all: the worker meets the hanging server, not the
    host. (The timing under load is a benchmark: docs/OPERATIONS.md.)"""
    booking = BookingFactory(start=soon())
    client.force_login(booking.listing.host)

    response = client.post(f"/bookings/{booking.pk}/approve/")

    assert response.status_code == 302
    assert hung_mail_server == []  # the request opened no connection: it waited on no mail
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.APPROVED
    assert email_jobs().count() == 1


def test_a_bulk_approve_queues_an_email_per_booking_and_opens_no_connection(
    client, hung_mail_server
):
    listing = ListingFactory(desks=10)
    chosen = [BookingFactory(listing=listing, desks=1, start=soon(10 + i)) for i in range(4)]
    closed = BookingFactory(listing=listing, status=Booking.Status.CANCELLED)
    client.force_login(host_with_permissions(listing.host))

    response = client.post(
        "/host/bookings/booking/",
        {"action": "approve_selected", "_selected_action": [b.pk for b in [*chosen, closed]]},
    )

    assert response.status_code == 302
    assert hung_mail_server == []
    assert Booking.objects.filter(status=Booking.Status.APPROVED).count() == 4
    assert sorted(job.args_kwargs["kwargs"]["booking_id"] for job in email_jobs()) == sorted(
        b.pk for b in chosen
    )


def test_refused_by_the_mail_server_then_delivered_once_when_it_is_back(
    approval_with_two_auto_declines, settings, run_jobs
):
    chosen = approval_with_two_auto_declines
    settings.TASKS_RETRY_DELAY_S = 0.5
    settings.MAILERS = smtp_mailers(closed_port(), timeout=2)
    services.booking_approve(booking=chosen, host=chosen.listing.host)
    run_jobs()
    # Refused: each job failed once and waits for its retry, with its error.
    jobs = list(email_jobs())
    assert [job.status for job in jobs] == ["READY"] * 3
    assert all("ConnectionRefusedError" in job.traceback for job in jobs)
    assert all(len(job.worker_ids) == 1 for job in jobs)

    with smtp_server() as smtp:
        settings.MAILERS = smtp_mailers(smtp.port, timeout=5)
        time.sleep(0.6)  # the retry's backoff
        run_jobs()
        run_jobs()  # nothing left: nothing twice
    assert sorted(m["Subject"].split(":")[0] for m in smtp.received) == [
        "Approved",
        "Declined",
        "Declined",
    ]
    assert set(email_jobs().values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_an_email_job_that_runs_twice_sends_once(run_jobs):
    booking = BookingFactory()
    message = services.message_create(booking=booking, author=booking.guest, body="Parking?")
    [job] = email_jobs()
    booking_email_send.enqueue(**job.args_kwargs["kwargs"])  # the same email, queued again
    run_jobs()
    [email] = mail.outbox
    assert email.to == [booking.listing.host.email] and "Parking?" in email.body
    assert [job.return_value for job in email_jobs().order_by("finished_at")] == [True, False]
    assert message.pk


def test_the_same_kind_for_a_new_event_is_a_new_email(run_jobs):
    """A cancellation mails both parties, each once (one event, two recipients)."""
    booking = BookingFactory(status=Booking.Status.APPROVED, start=soon(40))
    services.booking_cancel(booking=booking, by=booking.guest)
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [booking.guest.email, booking.listing.host.email]
    )


@pytest.mark.parametrize(
    "title", ["Loft\r\nBcc: everyone@example.test", "Loft\nwith a view", "Loft\u2028two"]
)
def test_a_line_break_in_a_listing_title_never_breaks_or_adds_a_header(title, run_jobs):
    """A title saved before titles were single-line (or by any path that skips the form)."""
    listing = ListingFactory()
    Listing.objects.filter(pk=listing.pk).update(title=title)
    booking = BookingFactory(listing=listing)
    services.booking_approve(booking=booking, host=listing.host)
    run_jobs()
    [email] = mail.outbox
    assert "\n" not in email.subject and "\r" not in email.subject
    message = email.message()
    assert message["Bcc"] is None and email.bcc == []
    assert message["Subject"].startswith("Approved: your desks at Loft")
    assert list(email_jobs().values_list("status", flat=True)) == ["SUCCESSFUL"]


def test_email_kinds_and_recipients_are_choices():
    assert set(EmailKind.values) == {
        "request_new",
        "message_new",
        "approved",
        "declined",
        "expired",
        "cancelled",
        "notice",
        "reminder",
        "review_invite",
        "review_new",
        "change_request",
        "change_approved",
        "change_declined",
        "change_expired",
        "ended",
    }
    assert set(Recipient.values) == {"host", "guest"}
