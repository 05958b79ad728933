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
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from jobs.services import email_send_once
from pivotdesk.emails import header_text, site_domain
from teams.selectors import member_role, team_admin

from .models import INSTANT_BOOK_NOTE, Booking, BookingEvent, Message, Review


class EmailKind(models.TextChoices):
    """templates/bookings/email/<kind>.txt and .html."""

    REQUEST_NEW = "request_new", "New request"
    MESSAGE_NEW = "message_new", "New message"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    NOTICE = "notice", "Notice given"
    REMINDER = "reminder", "Answer reminder"
    REVIEW_INVITE = "review_invite", "Review invitation"
    REVIEW_NEW = "review_new", "New review"
    ENDED = "ended", "Ended by PivotDesk"

    CHANGE_REQUEST = "change_request", "Desk change asked for"
    CHANGE_APPROVED = "change_approved", "Desk change approved"
    CHANGE_DECLINED = "change_declined", "Desk change declined"
    CHANGE_EXPIRED = "change_expired", "Desk change expired"


class Recipient(models.TextChoices):
    HOST = "host", "Host"
    GUEST = "guest", "Guest"


def _money(amount) -> str:
    return f"${amount:,.2f}"


def _day(day) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _desks(n: int) -> str:
    return f"{n} desk{pluralize(n)}"


def booking_email_subject(
    booking: Booking,
    kind: EmailKind,
    to: Recipient,
    event: BookingEvent | None,
    *,
    instant: bool = False,
) -> str:
    """The subject line, spoken to its reader: the guest reads what they did ("You gave
    notice"), the host what the guest did. Always passed through ``header_text``. Short: a
    subject longer than a header line is folded, and some readers show the fold's space."""
    title = header_text(booking.listing.title)
    host = to == Recipient.HOST
    withdrawn = event is not None and event.from_status == Booking.Status.REQUESTED
    match kind:
        case EmailKind.REQUEST_NEW if instant:
            subject = f"Booked: {_desks(booking.desks)} at {title}"
        case EmailKind.REQUEST_NEW:
            subject = f"New request: {_desks(booking.desks)} at {title}"
        case EmailKind.REMINDER:
            subject = (
                f"Answer by {_answer_by(booking)}: request #{booking.pk} at {title} "
                "expires unanswered"
            )
        case EmailKind.REVIEW_INVITE:
            subject = f"How was {title}? Review your space"
        case EmailKind.REVIEW_NEW:
            subject = f"New review of {title}"
        case EmailKind.MESSAGE_NEW:
            subject = f"New message about booking #{booking.pk} at {title}"
        case EmailKind.APPROVED:
            subject = f"Approved: your desks at {title}"
        case EmailKind.DECLINED:
            subject = f"Declined: your request at {title}"
        case EmailKind.EXPIRED:
            subject = f"Expired: your request at {title}"
        case EmailKind.CANCELLED if withdrawn:
            subject = (
                f"Withdrawn: request #{booking.pk} at {title}"
                if host
                else f"You withdrew your request at {title}"
            )
        case EmailKind.CANCELLED:
            subject = (
                f"Cancelled: booking #{booking.pk} at {title}"
                if host
                else f"You cancelled booking #{booking.pk} at {title}"
            )
        case EmailKind.NOTICE:
            subject = (
                f"Notice given: {title} ends {_day(booking.end)}"
                if host
                else f"You gave notice: {title} ends {_day(booking.end)}"
            )
        case EmailKind.ENDED if event is not None and event.to_status == Booking.Status.DECLINED:
            subject = f"Declined by PivotDesk: request #{booking.pk} at {title}"
        case EmailKind.ENDED if event is not None and event.to_status == Booking.Status.CANCELLED:
            subject = f"Cancelled by PivotDesk: booking #{booking.pk} at {title}"
        case EmailKind.ENDED:
            subject = f"Ended by PivotDesk: booking #{booking.pk} at {title}"
        case EmailKind.CHANGE_REQUEST:
            subject = (
                f"Change asked for: booking #{booking.pk} at {title}"
                if host
                else f"You asked to change booking #{booking.pk} at {title}"
            )
        case EmailKind.CHANGE_APPROVED:
            subject = f"Change approved: booking #{booking.pk} at {title}"
        case EmailKind.CHANGE_DECLINED:
            subject = f"Change declined: booking #{booking.pk} at {title}"
        case EmailKind.CHANGE_EXPIRED:
            subject = f"Change expired: booking #{booking.pk} at {title}"
    return header_text(subject)


def _answer_by(booking: Booking) -> str:
    at = timezone.localtime(booking.answer_by)
    return f"{at:%B} {at.day}, {date_format(at, 'g:i a')}"


def review_path(booking: Booking) -> str:
    """Where the guest reviews ``booking`` (needs its listing's city)."""
    return reverse(
        "bookings:review",
        kwargs={"city": booking.listing.city.slug, "slug": booking.listing.slug, "pk": booking.pk},
    )


def reply_to() -> str:
    """Booking emails come from a mailbox nobody reads: the thread is where the parties
    write (an address of the other party would show it before approval). Replies go to a
    no-reply address on the site's domain, and each email says so and links to the thread."""
    return f"PivotDesk no-reply <no-reply@{site_domain()}>"


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
    """The message for ``email``, or None when the booking is gone (or a reminder is moot)."""
    booking = (
        Booking.objects.select_related("listing", "listing__host", "listing__city", "guest")
        .filter(pk=email.booking_id)
        .first()
    )
    if booking is None:
        return None
    if email.kind == EmailKind.REMINDER and not booking.is_pending:
        return None  # answered (or expired) between the reminder's queueing and its sending
    about_review = email.kind in (EmailKind.REVIEW_INVITE, EmailKind.REVIEW_NEW)
    review = Review.objects.filter(booking_id=booking.pk).first() if about_review else None
    if email.kind == EmailKind.REVIEW_INVITE and review is not None:
        return None  # reviewed before the invitation went out
    recipient = booking.listing.host if email.to == Recipient.HOST else booking.guest
    if email.to == Recipient.GUEST and booking.team_id is not None:
        # A team booking's guest side is its maker while a member, else the team's admin.
        if member_role(team_id=booking.team_id, user=booking.guest) is None:
            recipient = team_admin(team_id=booking.team_id) or booking.guest
    event = BookingEvent.objects.filter(pk=email.event_id).first() if email.event_id else None
    # Whether instant book approved it at once: from its history, not its status now (the
    # host may have answered before this email went out).
    instant = email.kind == EmailKind.REQUEST_NEW and (
        booking.events.filter(to_status=Booking.Status.APPROVED, note=INSTANT_BOOK_NOTE).exists()
    )
    context = {
        "booking": booking,
        "instant": instant,
        "recipient": recipient,
        "message": Message.objects.select_related("author").filter(pk=email.message_id).first()
        if email.message_id
        else None,
        "note": event.note if event else "",
        "to_status": event.to_status if event else "",
        "review": review,
        "review_url": f"{settings.SITE_URL}{review_path(booking)}",
        "for_host": email.to == Recipient.HOST,
        "withdrawn": event is not None and event.from_status == Booking.Status.REQUESTED,
        "answer_by": "" if instant else _answer_by(booking),
        "thread_url": f"{settings.SITE_URL}{booking.get_absolute_url()}#messages",
        "url": f"{settings.SITE_URL}{booking.get_absolute_url()}",
        "host_url": f"{settings.SITE_URL}{reverse('host:bookings_bookingchange_changelist')}",
    }
    subject = booking_email_subject(
        booking, EmailKind(email.kind), Recipient(email.to), event, instant=instant
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"bookings/email/{email.kind}.txt", context),
        to=[recipient.email],
        reply_to=[reply_to()],
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
