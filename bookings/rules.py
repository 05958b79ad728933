"""Who may do what to a booking, and when — each rule written once.

bookings.services checks these under the listing's row lock before it writes, and
bookings.selectors.booking_actions asks the same functions which buttons a page shows, so
what a user is offered and what the service allows cannot drift apart. Each check raises
ValidationError with one of the messages below.
"""

import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from teams.models import Membership
from teams.selectors import member_role

from .models import Booking, Review, add_months

MAX_LEAD_MONTHS = 24  # how far ahead a term may start
NOTICE_PERIOD = datetime.timedelta(days=30)

BOOKING_BAD_TRANSITION = "A {status} booking cannot be {action}."
BOOKING_NOT_YOUR_LISTING = "Only the host of this space can answer this request."
BOOKING_NOT_YOUR_BOOKING = "Only the guest who made this booking can cancel it."
BOOKING_NOT_YOUR_TEAM_BOOKING = (
    "Only the team's admin or the member who made this booking can give notice on it, cancel "
    "it or change its desks."
)
MESSAGE_NOT_A_PARTY = "Only the guest (or the guest's team) and the host can write in this thread."
BOOKING_CONTINUED = (
    "This booking continues as booking #{pk} from {start:%B %-d, %Y}: give notice or ask for "
    "changes there."
)
CHANGE_NOT_RUNNING = "Only a booking that has started and not ended can change its desks."
CHANGE_NOTICE_GIVEN = "Notice has been given on this booking: its desks can no longer change."
CHANGE_NO_NEXT_MONTH = "This booking has no booking month left to change: it ends on {end}."
CHANGE_LET_WHOLE = "A private office is let whole: its desks cannot change."
BOOKING_ALREADY_ENDED = "This booking has already ended."
BOOKING_NOTICE_ALREADY_GIVEN = "Notice has already been given; the booking ends on {end}."

# Moving a personal booking into a team (services.booking_move_to_team, decision 0195).
MOVE_NOT_MAKER = "Only the guest who made this booking can make it a team booking."
MOVE_ALREADY_TEAM = "This booking is already {team}'s."
MOVE_NOT_OPEN = (
    "Only a request waiting for an answer or an approved booking that has not ended can become "
    "a team booking."
)

# An operator ends a booking (bookings.services.booking_end_by_operator).
END_NOT_OPERATOR = "Only a PivotDesk operator can end a booking."
END_BEFORE_TODAY = "The booking can end today ({today:%B %-d, %Y}) at the earliest."
END_AFTER_END = "This booking already ends on {end:%B %-d, %Y}: choose that day or an earlier one."
END_NOT_AFTER_START = "The end must come after the first day, {start:%B %-d, %Y}."
END_ALREADY_BY_OPERATOR = (
    "PivotDesk already ended this booking on {at:%B %-d, %Y}: the desks are free from "
    "{end:%B %-d, %Y}."
)
END_CONTINUATION_NOT_STARTED = (
    "This booking continues booking #{pk} from {start:%B %-d, %Y} and has not started: end "
    "booking #{pk}, and this one is cancelled with it."
)

# Reviews (bookings.reviews): from verified guests only, once per booking.
REVIEW_NOT_YOUR_BOOKING = "Only the guest of this booking can review it."
REVIEW_NOT_APPROVED = "Only a booking that went ahead can be reviewed."
REVIEW_TOO_EARLY = "You can review this space from {date:%B %-d, %Y}, after your first month."
REVIEW_ALREADY = "You have already reviewed this booking."
REPLY_NOT_YOUR_LISTING = "Only the host of this space can reply to its reviews."
REPLY_ALREADY = "You have already replied to this review."
REPLY_EMPTY = "Write your reply first."

HostAnswer = Literal["approved", "declined"]
GuestExit = Literal["cancel", "notice"]
OperatorEnd = Literal["decline", "cancel", "end"]


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
    booking_manager_check(booking=booking, user=user)
    continuation = continuation_of(booking)
    if continuation is not None:
        raise ValidationError(
            BOOKING_CONTINUED.format(pk=continuation.pk, start=continuation.start)
        )
    if booking.continues_id is not None and booking.is_approved and today < booking.end:
        # The desks run on from the booking it continues: leaving is notice, not a cancel.
        if booking.notice_given_at is not None:
            raise ValidationError(BOOKING_NOTICE_ALREADY_GIVEN.format(end=booking.end))
        return "notice"
    if booking.is_pending or (booking.is_approved and today < booking.start):
        return "cancel"
    if not booking.is_approved:
        raise _refuse_transition(booking, "cancelled")
    if today >= booking.end:
        raise ValidationError(BOOKING_ALREADY_ENDED)
    if booking.notice_given_at is not None:
        raise ValidationError(BOOKING_NOTICE_ALREADY_GIVEN.format(end=booking.end))
    return "notice"


def operator_end_check(
    *, booking: Booking, user: User, end: datetime.date, today: datetime.date
) -> OperatorEnd:
    """How an operator ends ``booking`` on ``today``: "decline" a request, "cancel" an
    approved booking before it starts (as its guest would), "end" a running one on ``end``
    (its first free day: from today, after the first day, at the latest its current end).
    Raises ValidationError when ``user`` is not an operator or none of these is possible."""
    if not user.is_operator:
        raise ValidationError(END_NOT_OPERATOR)
    if booking.is_pending:
        return "decline"
    if not booking.is_approved:
        raise _refuse_transition(booking, "ended")
    if booking.ended_by_operator_at is not None:
        # Once: a form sent twice must not move the end again nor give back twice.
        raise ValidationError(
            END_ALREADY_BY_OPERATOR.format(
                at=timezone.localdate(booking.ended_by_operator_at), end=booking.end
            )
        )
    if today < booking.start:
        if booking.continues_id is not None:
            raise ValidationError(
                END_CONTINUATION_NOT_STARTED.format(pk=booking.continues_id, start=booking.start)
            )
        return "cancel"
    if today >= booking.end:
        raise ValidationError(BOOKING_ALREADY_ENDED)
    if end < today:
        raise ValidationError(END_BEFORE_TODAY.format(today=today))
    if end > booking.end:
        raise ValidationError(END_AFTER_END.format(end=booking.end))
    if end <= booking.start:
        raise ValidationError(END_NOT_AFTER_START.format(start=booking.start))
    return "end"


def booking_manager_check(*, booking: Booking, user: User) -> None:
    """Raise ValidationError unless ``user`` may give notice on, cancel or change ``booking``:
    its guest; for a team booking, the team's admin or the member who made it while they are
    still a member."""
    if booking.team_id is None:
        if user.pk != booking.guest_id:
            raise ValidationError(BOOKING_NOT_YOUR_BOOKING)
        return
    role = member_role(team_id=booking.team_id, user=user)
    if role == Membership.Role.ADMIN or (role is not None and user.pk == booking.guest_id):
        return
    raise ValidationError(BOOKING_NOT_YOUR_TEAM_BOOKING)


def thread_writer_check(*, booking: Booking, user: User) -> None:
    """Raise ValidationError unless ``user`` may write in ``booking``'s thread: the host, the
    guest of a personal booking, or any member of the booking's team."""
    if user.pk == booking.listing.host_id:
        return
    if booking.team_id is None:
        if user.pk == booking.guest_id:
            return
    elif member_role(team_id=booking.team_id, user=user) is not None:
        return
    raise ValidationError(MESSAGE_NOT_A_PARTY)


def team_move_check(*, booking: Booking, user: User, today: datetime.date) -> None:
    """Raise ValidationError unless ``user`` may move ``booking`` into one of their teams on
    ``today``: its maker, a personal booking, a request waiting for an answer or an approved
    booking that has not ended. Which team (a member's, open) is asked under its lock."""
    if user.pk != booking.guest_id:
        raise ValidationError(MOVE_NOT_MAKER, code="not_maker")
    if booking.team_id is not None:
        raise ValidationError(MOVE_ALREADY_TEAM.format(team=booking.team.name), code="team")
    if not (booking.is_pending or (booking.is_approved and today < booking.end)):
        raise ValidationError(MOVE_NOT_OPEN, code="over")


def continuation_of(booking: Booking) -> Booking | None:
    """The booking that continues ``booking`` after an approved desk change, if any."""
    return Booking.objects.filter(continues_id=booking.pk).first()


def next_month_start(*, booking: Booking, today: datetime.date) -> datetime.date | None:
    """The first day of ``booking``'s next booking month after ``today`` (its months count
    from its start), or None when the booking ends before one begins."""
    months = 1
    while (day := add_months(booking.start, months)) <= today:
        months += 1
    return day if day < booking.end else None


def change_check(*, booking: Booking, user: User, today: datetime.date) -> datetime.date:
    """Raise ValidationError unless ``user`` may ask to change ``booking``'s desks on
    ``today``; return the day a change would take effect (the next booking month's first)."""
    booking_manager_check(booking=booking, user=user)
    if booking.listing.is_let_whole:
        raise ValidationError(CHANGE_LET_WHOLE)
    if not booking.is_approved or not booking.start <= today < booking.end:
        raise ValidationError(CHANGE_NOT_RUNNING)
    if booking.notice_given_at is not None:
        raise ValidationError(CHANGE_NOTICE_GIVEN)
    continuation = continuation_of(booking)
    if continuation is not None:
        raise ValidationError(
            BOOKING_CONTINUED.format(pk=continuation.pk, start=continuation.start)
        )
    effective = next_month_start(booking=booking, today=today)
    if effective is None:
        raise ValidationError(CHANGE_NO_NEXT_MONTH.format(end=booking.end))
    return effective


def move_in_range(*, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day a term may start on ``today``: from today, at most
    MAX_LEAD_MONTHS ahead. The booking form, the search and booking_request all use it."""
    return today, add_months(today, MAX_LEAD_MONTHS)


def notice_end(*, booking: Booking, today: datetime.date) -> datetime.date:
    """The first free day of a running booking whose guest gives notice ``today``: 30 days on,
    never later than the booked end."""
    return min(today + NOTICE_PERIOD, booking.end)


def reviewable_from(booking: Booking) -> datetime.date:
    """The first day ``booking``'s guest may review it: a month after the start, or the
    end if notice made it shorter."""
    return min(add_months(booking.start, 1), booking.end)


def review_check(*, booking: Booking, user: User, today: datetime.date) -> None:
    """Raise ValidationError unless ``user`` may review ``booking`` on ``today``."""
    if user.pk != booking.guest_id:
        raise ValidationError(REVIEW_NOT_YOUR_BOOKING)
    if not booking.is_approved:
        raise ValidationError(REVIEW_NOT_APPROVED)
    if today < reviewable_from(booking):
        raise ValidationError(REVIEW_TOO_EARLY.format(date=reviewable_from(booking)))
    if Review.objects.filter(booking_id=booking.pk).exists():
        raise ValidationError(REVIEW_ALREADY, code="duplicate")


def reply_check(*, review: Review, user: User) -> None:
    if user.pk != review.listing.host_id:
        raise ValidationError(REPLY_NOT_YOUR_LISTING)
    if review.replied_at is not None:
        raise ValidationError(REPLY_ALREADY, code="duplicate")
