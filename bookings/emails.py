"""Booking emails, text + HTML, sent by the worker.

Services call ``booking_emails_enqueue`` inside their transaction: each email is a job row of
that transaction, so a rolled-back booking mails no one and a committed one always does, and
no request waits for the mail server. A job that fails is retried (jobs.services); one that
runs twice sends once, keyed on the booking event (or message) and the recipient.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.tasks import task
from django.template.loader import render_to_string

from jobs.services import email_send_once
from pivotdesk.emails import header_text

from .models import Booking, BookingEvent, Message


class EmailKind(models.TextChoices):
    """templates/bookings/email/<kind>.txt and .html."""

    REQUEST_NEW = "request_new", "New request"
    MESSAGE_NEW = "message_new", "New message"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    NOTICE = "notice", "Notice given"


class Recipient(models.TextChoices):
    HOST = "host", "Host"
    GUEST = "guest", "Guest"


SUBJECTS = {
    EmailKind.REQUEST_NEW: "New request: {booking.desks} desk(s) at {title}",
    EmailKind.MESSAGE_NEW: "New message about booking #{booking.pk}",
    EmailKind.APPROVED: "Approved: your desks at {title}",
    EmailKind.DECLINED: "Declined: your request at {title}",
    EmailKind.EXPIRED: "Expired: your request at {title}",
    EmailKind.CANCELLED: "Cancelled: booking #{booking.pk} at {title}",
    EmailKind.NOTICE: "Notice given: booking #{booking.pk} at {title} ends {booking.end}",
}


@dataclass(frozen=True)
class BookingEmail:
    """One email about a booking to its host or its guest, caused by one status change
    (``event_id``) or one message in the thread (``message_id``)."""

    booking_id: int
    kind: EmailKind
    to: Recipient
    event_id: int | None = None
    message_id: int | None = None

    @property
    def key(self) -> str:
        """Names the email once: the same event never mails the same person twice."""
        cause = f"message:{self.message_id}" if self.message_id else f"event:{self.event_id}"
        return f"booking:{self.booking_id}:{self.kind}:{self.to}:{cause}"


def booking_email_render(email: BookingEmail) -> EmailMultiAlternatives | None:
    """The message for ``email``, or None when the booking is gone."""
    booking = (
        Booking.objects.select_related("listing", "listing__host", "listing__city", "guest")
        .filter(pk=email.booking_id)
        .first()
    )
    if booking is None:
        return None
    recipient = booking.listing.host if email.to == Recipient.HOST else booking.guest
    event = BookingEvent.objects.filter(pk=email.event_id).first() if email.event_id else None
    context = {
        "booking": booking,
        "recipient": recipient,
        "message": Message.objects.select_related("author").filter(pk=email.message_id).first()
        if email.message_id
        else None,
        "note": event.note if event else "",
        "url": f"{settings.SITE_URL}{booking.get_absolute_url()}",
    }
    subject = SUBJECTS[EmailKind(email.kind)].format(
        booking=booking, title=header_text(booking.listing.title)
    )
    message = EmailMultiAlternatives(
        subject=header_text(subject),
        body=render_to_string(f"bookings/email/{email.kind}.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(
        render_to_string(f"bookings/email/{email.kind}.html", context), "text/html"
    )
    return message


@task
def booking_email_send(
    *,
    booking_id: int,
    kind: str,
    to: str,
    event_id: int | None = None,
    message_id: int | None = None,
) -> bool:
    """The job: send one booking email unless it was sent already; return whether it went
    now. A mail server that refuses or hangs raises, and the job is retried."""
    email = BookingEmail(booking_id, EmailKind(kind), Recipient(to), event_id, message_id)
    message = booking_email_render(email)
    if message is None:
        return False
    return email_send_once(key=email.key, message=message)


_muted: ContextVar[bool] = ContextVar("booking_emails_muted", default=False)


def booking_emails_enqueue(emails: Sequence[BookingEmail]) -> None:
    """Queue one job per email. Call inside the service's transaction (the jobs commit or roll
    back with it); inside ``booking_emails_muted`` nothing is queued."""
    if _muted.get():
        return
    for email in emails:
        booking_email_send.enqueue(
            booking_id=email.booking_id,
            kind=email.kind.value,
            to=email.to.value,
            event_id=email.event_id,
            message_id=email.message_id,
        )


@contextmanager
def booking_emails_muted() -> Iterator[None]:
    """The service calls inside send no email (demo data is history, not news)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)
