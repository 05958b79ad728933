"""Writes for desk changes: a team (or a guest) asks to grow or shrink a running booking from
the first day of its next booking month; the host approves or declines in /host/.

An approved change ends the booking on that day and continues it as a new approved booking
(``Booking.continues``) with the new desk count until the old end (decision 0121). Every
capacity query counts approved bookings' [start, end) intervals, so it counts the change
correctly for the rest of the term without knowing about changes. Growth is checked with the
existing capacity rule (``selectors.desks_free_between``) under the listing's row lock; lock
order as in bookings.services: listing, then booking, then the change.

A change not answered by its day can no longer be approved (``change_too_late``); the clock's
daily ``booking_changes_expire`` marks it expired and tells the guest, so it leaves the
host's list and the team may ask again.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.models import User
from listings.services import listing_lock
from listings.signals import desks_freed

from .emails import BookingEmail, EmailKind, Recipient, booking_emails_enqueue
from .models import Booking, BookingChange, BookingEvent
from .rules import (
    BOOKING_NOT_YOUR_LISTING,
    CHANGE_NOT_RUNNING,
    CHANGE_NOTICE_GIVEN,
    change_check,
)
from .selectors import desks_free_between

CHANGE_SAME_DESKS = "The booking already has {desks} desk{s}: choose another number."
CHANGE_TOO_MANY = "This space has {desks} desk{s}."
CHANGE_NOT_FREE = (
    "Only {free} more desk{s} {verb} free from {day:%B %-d, %Y} to the end of the term."
)
CHANGE_ALREADY_ASKED = "A change to this booking is already waiting for the host's answer."
CHANGE_NOT_PENDING = "This change has already been answered."
CHANGE_DATE_PASSED = (
    "This change was to start on {day:%B %-d, %Y}, which has passed: it expires unanswered, "
    "and the team can ask again from the next month."
)
CHANGE_EXPIRED = (
    "This change expired: it was to start on {day:%B %-d, %Y} and was not answered before "
    "that day. The team can ask again from the next month."
)


def change_too_late(*, day: datetime.date, today: datetime.date) -> bool:
    """Whether a change that takes effect on ``day`` can no longer be approved on ``today``:
    its day has come (an approval must come before the desks change)."""
    return day <= today


def _describe(desks: int, day) -> str:
    return f"{desks} desk{pluralize(desks)} from {day:%B %-d, %Y}"


def _lock(booking: Booking) -> Booking:
    """Lock the listing, then the booking; return the booking fresh, with its listing."""
    listing = listing_lock(listing_id=booking.listing_id)
    locked = Booking.objects.select_for_update().get(pk=booking.pk)
    locked.listing = listing
    return locked


def _growth_check(*, booking: Booking, desks: int, day) -> None:
    """Raise unless ``desks - booking.desks`` more desks are free on every day from ``day``
    to the booking's end. Caller holds the listing's row lock. The booking's own desks are
    among those counted, so what it holds now stays its own."""
    extra = desks - booking.desks
    if extra <= 0:
        return
    free = desks_free_between(listing=booking.listing, start=day, end=booking.end)
    if extra > free:
        raise ValidationError(
            CHANGE_NOT_FREE.format(
                free=free, s=pluralize(free), verb="is" if free == 1 else "are", day=day
            )
        )


def _emails(booking: Booking, kind: EmailKind, event: BookingEvent) -> None:
    booking_emails_enqueue(
        [
            BookingEmail(booking_id=booking.pk, kind=kind, to=to, event_id=event.pk)
            for to in Recipient
        ]
    )


def _event(booking: Booking, *, actor: User | None, note: str) -> BookingEvent:
    return BookingEvent.objects.create(
        booking=booking,
        from_status=booking.status,
        to_status=booking.status,
        actor=actor,
        note=note[:500],
    )


@transaction.atomic
def booking_change_request(*, booking: Booking, by: User, desks: int) -> BookingChange:
    """Ask the host to change ``booking`` to ``desks`` desks from its next booking month.

    Who may ask, and when, is ``rules.change_check`` (the guest, or the team's admin or the
    booking's maker). Growth past the free desks is refused now (and checked again when the
    host approves). One open change per booking.
    """
    booking = _lock(booking)
    day = change_check(booking=booking, user=by, today=timezone.localdate())
    if desks == booking.desks:
        raise ValidationError(CHANGE_SAME_DESKS.format(desks=desks, s=pluralize(desks)))
    if desks > booking.listing.desks:
        raise ValidationError(
            CHANGE_TOO_MANY.format(desks=booking.listing.desks, s=pluralize(booking.listing.desks))
        )
    if BookingChange.objects.filter(
        booking=booking, status=BookingChange.Status.REQUESTED
    ).exists():
        raise ValidationError(CHANGE_ALREADY_ASKED)
    _growth_check(booking=booking, desks=desks, day=day)
    change = BookingChange(
        booking=booking, desks=desks, from_desks=booking.desks, effective_from=day, requested_by=by
    )
    change.full_clean()
    change.save()
    event = _event(booking, actor=by, note=f"Change asked for: {_describe(desks, day)}")
    _emails(booking, EmailKind.CHANGE_REQUEST, event)
    return change


def _lock_change(change: BookingChange, host: User) -> tuple[BookingChange, Booking]:
    booking = _lock(change.booking)
    change = BookingChange.objects.select_for_update().get(pk=change.pk)
    if host.pk != booking.listing.host_id:
        raise ValidationError(BOOKING_NOT_YOUR_LISTING)
    if change.status == BookingChange.Status.EXPIRED:
        raise ValidationError(CHANGE_EXPIRED.format(day=change.effective_from))
    if not change.is_pending:
        raise ValidationError(CHANGE_NOT_PENDING)
    return change, booking


@transaction.atomic
def booking_change_approve(*, change: BookingChange, host: User) -> Booking:
    """Approve a change: the booking ends on the change's day and a new approved booking
    (``continues`` it) holds the new desk count to the old end. Returns the new booking.

    Refused when the day has passed, when the booking can no longer change (notice given,
    already continued), or when growth no longer fits.
    """
    change, booking = _lock_change(change, host)
    day = change.effective_from
    if change_too_late(day=day, today=timezone.localdate()):
        raise ValidationError(CHANGE_DATE_PASSED.format(day=day))
    if booking.notice_given_at is not None:
        raise ValidationError(CHANGE_NOTICE_GIVEN)
    if not booking.is_approved or not day < booking.end:
        raise ValidationError(CHANGE_NOT_RUNNING)
    if Booking.objects.filter(continues=booking).exists():
        raise ValidationError(CHANGE_NOT_PENDING)
    _growth_check(booking=booking, desks=change.desks, day=day)

    months_before = _month_index(booking.start, day)
    months_after = max(booking.months - months_before, 1)
    now = timezone.now()
    continuation = Booking(
        listing=booking.listing,
        guest=booking.guest,
        team=booking.team,
        continues=booking,
        desks=change.desks,
        start=day,
        months=months_after,
        end=booking.end,
        status=Booking.Status.APPROVED,
        price_per_desk=booking.price_per_desk,
        total=booking.price_per_desk * change.desks * months_after,
        decided_at=now,
    )
    continuation.full_clean()
    continuation.save()
    booking.end = day
    booking.months = months_before
    booking.total = booking.price_per_desk * booking.desks * months_before
    booking.full_clean()
    booking.save()
    change.status = BookingChange.Status.APPROVED
    change.continuation = continuation
    change.decided_at = now
    change.full_clean()
    change.save()
    described = _describe(change.desks, day)
    event = _event(
        booking, actor=host, note=f"Change approved: {described}, as booking #{continuation.pk}"
    )
    BookingEvent.objects.create(
        booking=continuation,
        to_status=Booking.Status.APPROVED,
        actor=host,
        note=f"Continues booking #{booking.pk} with {described} (was {change.from_desks})",
    )
    _emails(booking, EmailKind.CHANGE_APPROVED, event)
    if change.desks < change.from_desks:
        desks_freed.send(sender=BookingChange, listing_id=booking.listing_id)
    return continuation


def _month_index(start, day) -> int:
    """How many booking months of a booking from ``start`` come before ``day`` (a month's
    first day, as rules.next_month_start gives)."""
    return (day.year - start.year) * 12 + day.month - start.month


@transaction.atomic
def booking_change_decline(*, change: BookingChange, host: User, reason: str = "") -> BookingChange:
    """Decline a change; the booking goes on as it was. ``reason`` is shown to the guest."""
    change, booking = _lock_change(change, host)
    change.status = BookingChange.Status.DECLINED
    change.reason = reason.strip()[:500]
    change.decided_at = timezone.now()
    change.full_clean()
    change.save()
    note = f"Change declined: {_describe(change.desks, change.effective_from)}"
    if change.reason:
        note += f" ({change.reason})"
    event = _event(booking, actor=host, note=note)
    _emails(booking, EmailKind.CHANGE_DECLINED, event)
    return change


def booking_changes_expire(*, today: datetime.date | None = None) -> int:
    """Expire the pending changes whose day has come unanswered (``change_too_late``) and
    email each guest (a team booking's: its maker, or the team's admin); return how many.
    Expired, a change leaves the host's list of changes waiting for an answer.

    Idempotent: an expired change is never touched again, so running twice emails once. Safe
    beside the host's answers: rows another transaction holds (an approval or a decline in
    flight) are skipped (SKIP LOCKED) and left to that answer or to the next run. The change
    and its booking are locked together and nothing else is waited for, so the lock order of
    the answers (listing, booking, change) cannot deadlock with it.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        due = list(
            # change_too_late(day=effective_from, today=today), in SQL.
            BookingChange.objects.filter(
                status=BookingChange.Status.REQUESTED, effective_from__lte=today
            )
            .select_related("booking")
            .select_for_update(skip_locked=True, of=("self", "booking"))
            .order_by("pk")
        )
        now = timezone.now()
        for change in due:
            change.status = BookingChange.Status.EXPIRED
            change.decided_at = now
            change.full_clean()
            change.save(update_fields=["status", "decided_at"])
            described = _describe(change.desks, change.effective_from)
            event = _event(
                change.booking, actor=None, note=f"Change expired unanswered: {described}"
            )
            booking_emails_enqueue(
                [
                    BookingEmail(
                        booking_id=change.booking_id,
                        kind=EmailKind.CHANGE_EXPIRED,
                        to=Recipient.GUEST,
                        event_id=event.pk,
                    )
                ]
            )
    return len(due)
