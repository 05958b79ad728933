"""Who may do what to a booking, and when — each rule written once.

bookings.services checks these under the listing's row lock before it writes, and
bookings.selectors.booking_actions asks the same functions which buttons a page shows, so
what a user is offered and what the service allows cannot drift apart. Each check raises
ValidationError with one of the messages below.
"""

import datetime
from typing import Literal

from django.core.exceptions import ValidationError

from accounts.models import User

from .models import Booking, add_months

MAX_LEAD_MONTHS = 24  # how far ahead a term may start
NOTICE_PERIOD = datetime.timedelta(days=30)

BOOKING_BAD_TRANSITION = "A {status} booking cannot be {action}."
BOOKING_NOT_YOUR_LISTING = "Only the host of this space can answer this request."
BOOKING_NOT_YOUR_BOOKING = "Only the guest who made this booking can cancel it."
BOOKING_ALREADY_ENDED = "This booking has already ended."
BOOKING_NOTICE_ALREADY_GIVEN = "Notice has already been given; the booking ends on {end}."

HostAnswer = Literal["approved", "declined"]
GuestExit = Literal["cancel", "notice"]


def _refuse_transition(booking: Booking, action: str) -> ValidationError:
    return ValidationError(
        BOOKING_BAD_TRANSITION.format(status=booking.get_status_display().lower(), action=action)
    )


def host_answer_check(*, booking: Booking, user: User, answer: HostAnswer) -> None:
    """Raise ValidationError unless ``user`` is the listing's host and ``booking`` still
    waits for an answer (``answer``: "approved" or "declined")."""
    if user.pk != booking.listing.host_id:
        raise ValidationError(BOOKING_NOT_YOUR_LISTING)
    if not booking.is_pending:
        raise _refuse_transition(booking, answer)


def guest_exit(*, booking: Booking, user: User, today: datetime.date) -> GuestExit:
    """How the guest may leave ``booking`` on ``today``: "cancel" a request, or an approved
    booking before it starts; "notice" (30 days) once it runs. Raises ValidationError when
    ``user`` is not its guest or neither is possible."""
    if user.pk != booking.guest_id:
        raise ValidationError(BOOKING_NOT_YOUR_BOOKING)
    if booking.is_pending or (booking.is_approved and today < booking.start):
        return "cancel"
    if not booking.is_approved:
        raise _refuse_transition(booking, "cancelled")
    if today >= booking.end:
        raise ValidationError(BOOKING_ALREADY_ENDED)
    if booking.notice_given_at is not None:
        raise ValidationError(BOOKING_NOTICE_ALREADY_GIVEN.format(end=booking.end))
    return "notice"


def move_in_range(*, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day a term may start on ``today``: from today, at most
    MAX_LEAD_MONTHS ahead. The booking form, the search and booking_request all use it."""
    return today, add_months(today, MAX_LEAD_MONTHS)


def notice_end(*, booking: Booking, today: datetime.date) -> datetime.date:
    """The first free day of a running booking whose guest gives notice ``today``: 30 days on,
    never later than the booked end."""
    return min(today + NOTICE_PERIOD, booking.end)
