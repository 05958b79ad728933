"""Booking emails, text + HTML. Services queue them with ``booking_emails_on_commit``, so a
rolled-back booking never mails anyone, and all the emails one service call produces leave
together over one mail connection — or, inside ``booking_emails_batched``, all the emails of
several service calls."""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Booking, Message, UnsentEmail

logger = logging.getLogger(__name__)

# resend_emails keeps trying an unsent email this long, then gives up (logged as an error).
RESEND_FOR = timedelta(days=3)
RESEND_BATCH = 200

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
    committed, and a mail outage must not turn it into an error page. The emails are kept
    (``UnsentEmail``) for ``resend_emails`` to try again.
    """
    rendered = [(email, message) for email in emails if (message := booking_email_render(email))]
    if not rendered:
        return 0
    try:
        with mailers.default as connection:
            return connection.send_messages([message for _, message in rendered]) or 0
    except Exception as exc:
        logger.exception(
            "Booking emails not sent (%d), kept to resend: %s",
            len(rendered),
            ", ".join(f"{e.kind} to {e.to} of booking #{e.booking_id}" for e, _ in rendered),
        )
        _keep_to_resend([email for email, _ in rendered], exc)
        return 0


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _keep_to_resend(emails: Sequence[BookingEmail], exc: Exception) -> None:
    try:
        UnsentEmail.objects.bulk_create(
            UnsentEmail(
                booking_id=email.booking_id,
                kind=email.kind,
                to=email.to,
                message_id=email.message_id,
                last_error=_error_text(exc),
            )
            for email in emails
        )
    except Exception:  # the database is down too: the log above is all there is
        logger.exception("Unsent booking emails could not be kept to resend")


def booking_emails_resend(*, now=None) -> dict[str, int]:
    """Try the unsent emails again (oldest first, at most RESEND_BATCH, one connection);
    give up on those older than RESEND_FOR. Returns counts: sent, failed, given_up.

    Rows are locked (skip locked) while they are tried, so two overlapping runs do not send
    the same email twice. A connection that fails part-way leaves every row of the batch to
    try again: a duplicate email rather than a lost one.
    """
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "given_up": 0}
    with transaction.atomic():
        expired = list(
            UnsentEmail.objects.select_for_update(skip_locked=True).filter(
                created_at__lt=now - RESEND_FOR
            )
        )
        for row in expired:
            logger.error("Gave up on a booking email after %d tries: %s", row.attempts, row)
        UnsentEmail.objects.filter(pk__in=[row.pk for row in expired]).delete()
        counts["given_up"] = len(expired)

        rows = list(UnsentEmail.objects.select_for_update(skip_locked=True)[:RESEND_BATCH])
        messages = [
            message
            for row in rows
            if (
                message := booking_email_render(
                    BookingEmail(row.booking_id, row.kind, row.to, row.message_id)
                )
            )
        ]
        tried = UnsentEmail.objects.filter(pk__in=[row.pk for row in rows])
        try:
            if messages:
                with mailers.default as connection:
                    connection.send_messages(messages)
        except Exception as exc:
            logger.warning("Resending %d booking emails failed: %s", len(rows), exc)
            tried.update(attempts=F("attempts") + 1, last_error=_error_text(exc), tried_at=now)
            counts["failed"] = len(rows)
        else:
            tried.delete()
            counts["sent"] = len(messages)
    return counts


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
