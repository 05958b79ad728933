"""Booking emails, text + HTML. Services queue them with ``booking_emails_on_commit``, so a
rolled-back booking never mails anyone, and all the emails one service call produces leave
together over one mail connection — or, inside ``booking_emails_batched``, all the emails of
several service calls."""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.template.loader import render_to_string

from .models import Booking, Message

logger = logging.getLogger(__name__)

SUBJECTS = {
    "request_new": "New request: {booking.desks} desk(s) at {booking.listing.title}",
    "message_new": "New message about booking #{booking.pk}",
    "approved": "Approved: your desks at {booking.listing.title}",
    "declined": "Declined: your request at {booking.listing.title}",
    "expired": "Expired: your request at {booking.listing.title}",
    "cancelled": "Cancelled: booking #{booking.pk} at {booking.listing.title}",
    "notice": "Notice given: booking #{booking.pk} at {booking.listing.title} ends {booking.end}",
}


@dataclass(frozen=True)
class BookingEmail:
    """One email to send: templates/bookings/email/<kind>.txt/.html about a booking, to its
    "host" or its "guest"."""

    booking_id: int
    kind: str
    to: str
    message_id: int | None = None


def booking_email_render(email: BookingEmail) -> EmailMultiAlternatives | None:
    """The message for ``email``, or None when the booking is gone."""
    booking = (
        Booking.objects.select_related("listing", "listing__host", "listing__city", "guest")
        .filter(pk=email.booking_id)
        .first()
    )
    if booking is None:
        return None
    recipient = booking.listing.host if email.to == "host" else booking.guest
    context = {
        "booking": booking,
        "recipient": recipient,
        "message": Message.objects.select_related("author").filter(pk=email.message_id).first()
        if email.message_id
        else None,
        "note": getattr(booking.events.order_by("-at", "-id").first(), "note", ""),
        "url": f"{settings.SITE_URL}{booking.get_absolute_url()}",
    }
    message = EmailMultiAlternatives(
        subject=SUBJECTS[email.kind].format(booking=booking),
        body=render_to_string(f"bookings/email/{email.kind}.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(
        render_to_string(f"bookings/email/{email.kind}.html", context), "text/html"
    )
    return message


def booking_emails_send(*, emails: Sequence[BookingEmail]) -> int:
    """Send ``emails`` over one mail connection; return how many went out.

    One connection, not one per message: the request that made the booking change waits for
    this, and against a mail server that hangs every new connection costs EMAIL_TIMEOUT, so
    an approval that declines N other requests would otherwise wait N + 1 timeouts and could
    pass the router's 30 s. A failure to send is logged, not raised: the booking has already
    committed, and a mail outage must not turn it into an error page.
    """
    messages = [message for email in emails if (message := booking_email_render(email))]
    if not messages:
        return 0
    try:
        with mailers.default as connection:
            return connection.send_messages(messages) or 0
    except Exception:
        logger.exception(
            "Booking emails not sent (%d): %s",
            len(messages),
            ", ".join(f"{e.kind} to {e.to} of booking #{e.booking_id}" for e in emails),
        )
        return 0


_batch: ContextVar[list[BookingEmail] | None] = ContextVar("booking_emails_batch", default=None)


def booking_emails_on_commit(emails: Sequence[BookingEmail]) -> None:
    """Send ``emails`` once the current transaction commits; nothing if it rolls back.

    Call once per service call, with everything it wants to send. robust: an error while
    rendering is logged too and never reaches the caller's response. Inside
    ``booking_emails_batched`` the commit adds them to the batch instead.
    """
    if not emails:
        return
    batch = _batch.get()
    if batch is None:
        transaction.on_commit(partial(booking_emails_send, emails=tuple(emails)), robust=True)
    else:
        transaction.on_commit(partial(batch.extend, emails))


@contextmanager
def booking_emails_batched(*, send: bool = True) -> Iterator[None]:
    """Hold back the emails of the service calls made inside; send them together at the end
    (or, with ``send=False``, drop them: demo data is history, not news).

    For one request that runs several services, each in its own transaction (the host admin's
    bulk approve): one mail connection for the lot, so a hanging mail server costs one
    EMAIL_TIMEOUT, not one per booking — twenty would pass the router's 30 s. Only what
    committed is sent, also when the block ends with an error. Inside an outer transaction
    the batch leaves when that commits.
    """
    batch: list[BookingEmail] = []
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
        # on_commit runs at once outside a transaction, and after the batch's own
        # callbacks (registered earlier) inside one.
        if send:
            transaction.on_commit(lambda: booking_emails_send(emails=tuple(batch)), robust=True)
