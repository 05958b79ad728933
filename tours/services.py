"""Writes for tours: hours and days off (hosts), booking, moving and cancelling tours, and
tour afternoons (guests), and the reminders the clock asks for.

One tour per slot holds twice: every write that books or moves a tour first takes the row
lock of each listing it touches (``listings.services.listing_lock``), always in ascending
listing id, so two writers on the same listings queue instead of deadlocking; and the
database refuses a second booked tour at the same time (``tour_one_per_slot``). A guest's
travel time between spaces is checked under the guest's row lock, taken before the
listings': one guest's two tabs queue too, and so do a tour and the closing of the account.
Lock order (docs/decisions/0155): the guest, then listings by id, then the tour. A
cancellation takes no guest lock (it only frees time): taking a listing off the site cancels
its tours under the listing's lock it already holds.
"""

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import member_lock, user_lock
from bookings.rules import move_in_range
from jobs.services import effect_once
from listings.models import Listing
from listings.services import listing_lock
from pivotdesk.pagecache import public_content_changed

from .emails import TourEmailKind, TourRecipient, tour_emails_enqueue
from .models import SLOT, Tour, TourAfternoon, TourDayOff, TourHours
from .selectors import guest_busy, tour_schedule
from .selectors import tour_time_text as _when
from .slots import HORIZON_DAYS, apart, local_day

AFTERNOON_MIN, AFTERNOON_MAX = 2, 4

TOUR_UNPUBLISHED = "This space is not open for tours."
TOUR_OWN_LISTING = "You cannot book a tour of your own space."
TOUR_NOT_A_SLOT = "That is not one of this space's tour times. Pick a time from the list."
TOUR_IN_PAST = "That time has passed. Pick a later one."
TOUR_TOO_FAR = f"Tours can be booked at most {HORIZON_DAYS} days ahead."
TOUR_DAY_OFF = "The host shows no one around on that day."
TOUR_SLOT_TAKEN = "Someone has just booked {time} at {title}. Pick another time."
TOUR_DESKS = "Say how many desks you need: from 1 to {desks}."
TOUR_MOVE_IN = "The move-in date must be from today to {last:%B %-d, %Y}."
TOUR_ALREADY = "You already have a tour here at {time}: move that one instead."
TOUR_TOO_CLOSE = (
    "That leaves too little time after or before your tour at {other}: keep {minutes} "
    "minutes between spaces."
)
TOUR_NOT_A_PARTY = "Only the guest and the host can change this tour."
TOUR_NOT_BOOKED = "This tour was cancelled."
TOUR_OVER = "This tour has already taken place."
TOUR_SAME_TIME = "That is the time the tour already has."
AFTERNOON_COUNT = f"Pick {AFTERNOON_MIN} to {AFTERNOON_MAX} different spaces."
AFTERNOON_ONE_DAY = "All the tours of an afternoon are on one day."
TOUR_DAY_OFF_TWICE = "{day:%B %-d, %Y} is already a day off at this space."


def _check_slot(
    *,
    listing: Listing,
    starts_at: datetime.datetime,
    now: datetime.datetime,
    exclude_tour_id: int | None = None,
) -> None:
    """Raise ValidationError unless ``starts_at`` is a free slot of ``listing``. Caller holds
    the listing's row lock."""
    if timezone.is_naive(starts_at):
        raise ValidationError(TOUR_NOT_A_SLOT)
    day = local_day(starts_at)
    if starts_at <= now:
        raise ValidationError(TOUR_IN_PAST)
    if day > local_day(now) + datetime.timedelta(days=HORIZON_DAYS):
        raise ValidationError(TOUR_TOO_FAR)
    schedule = tour_schedule(
        listing_ids=[listing.pk], first_day=day, last_day=day, exclude_tour_id=exclude_tour_id
    )
    if (listing.pk, day) in schedule.days_off:
        raise ValidationError(TOUR_DAY_OFF)
    if starts_at not in schedule.slots(listing.pk, day):
        raise ValidationError(TOUR_NOT_A_SLOT)
    if starts_at not in schedule.free(listing.pk, day, now=now):
        raise ValidationError(
            TOUR_SLOT_TAKEN.format(time=_when(starts_at), title=listing.title), code="taken"
        )


def _check_guest_free(
    *,
    guest: User,
    listing: Listing,
    starts_at: datetime.datetime,
    exclude_tour_id: int | None = None,
) -> None:
    """The guest's other tours that day leave the travel gap around this one."""
    for other, city in guest_busy(
        guest=guest, day=local_day(starts_at), exclude_tour_id=exclude_tour_id
    ):
        if not apart(starts_at, listing.city_id, other, city):
            minutes = 30 if city == listing.city_id else 45
            raise ValidationError(TOUR_TOO_CLOSE.format(other=_when(other), minutes=minutes))


def _check_request(*, guest: User, listing: Listing, desks: int, move_in: datetime.date) -> None:
    if not listing.is_published:
        raise ValidationError(TOUR_UNPUBLISHED)
    if guest.pk == listing.host_id:
        raise ValidationError(TOUR_OWN_LISTING)
    if not 1 <= desks <= listing.desks:
        raise ValidationError(TOUR_DESKS.format(desks=listing.desks))
    first, last = move_in_range(today=timezone.localdate())
    if not first <= move_in <= last:
        raise ValidationError(TOUR_MOVE_IN.format(last=last))


def _place(
    *,
    guest: User,
    listing: Listing,
    starts_at: datetime.datetime,
    desks: int,
    move_in: datetime.date,
    now: datetime.datetime,
    afternoon: TourAfternoon | None = None,
) -> Tour:
    """Check and save one tour. Caller holds the guest's and then the listing's row locks,
    inside a transaction."""
    _check_request(guest=guest, listing=listing, desks=desks, move_in=move_in)
    if timezone.is_naive(starts_at):
        raise ValidationError(TOUR_NOT_A_SLOT)
    starts_at = starts_at.astimezone(datetime.UTC)  # real-time arithmetic across DST
    mine = Tour.objects.upcoming(now).filter(guest=guest, listing=listing).first()
    if mine is not None:
        raise ValidationError(TOUR_ALREADY.format(time=_when(mine.starts_at)), code="already")
    _check_slot(listing=listing, starts_at=starts_at, now=now)
    _check_guest_free(guest=guest, listing=listing, starts_at=starts_at)
    tour = Tour(
        listing=listing,
        guest=guest,
        afternoon=afternoon,
        starts_at=starts_at,
        ends_at=starts_at + SLOT,
        desks=desks,
        move_in=move_in,
        scheduled_at=now,
    )
    tour.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives
            tour.save()
    except IntegrityError as exc:
        # The constraint behind the lock: a writer that skipped the lock lost the race.
        raise ValidationError(
            TOUR_SLOT_TAKEN.format(time=_when(starts_at), title=listing.title), code="taken"
        ) from exc
    return tour


@transaction.atomic
def tour_book(
    *,
    guest: User,
    listing: Listing,
    starts_at: datetime.datetime,
    desks: int,
    move_in: datetime.date,
    now: datetime.datetime | None = None,
) -> Tour:
    """Book the slot ``starts_at`` of ``listing`` for ``guest``, who needs ``desks`` desks
    from ``move_in``. Guest and host each get an email with the invitation (.ics).
    Raises ValidationError (code "taken" when someone else has the slot; code "closed"
    when the guest's account is closed). Locks the guest's row, then the listing's."""
    now = now or timezone.now()
    member_lock(user=guest)
    locked = listing_lock(listing_id=listing.pk)
    tour = _place(
        guest=guest, listing=locked, starts_at=starts_at, desks=desks, move_in=move_in, now=now
    )
    tour_emails_enqueue(tour=tour, kind=TourEmailKind.BOOKED)
    return tour


@transaction.atomic
def tour_afternoon_book(
    *,
    guest: User,
    legs: Sequence[tuple[Listing, datetime.datetime]],
    desks: int,
    move_in: datetime.date,
    now: datetime.datetime | None = None,
) -> TourAfternoon:
    """Book two to four tours on one day together: all of them, or none (one transaction;
    the first refusal rolls back the others). The guest's row, then the listings in
    ascending id, are locked before anything is checked, the order every tour write uses."""
    now = now or timezone.now()
    ids = [listing.pk for listing, _ in legs]
    if not AFTERNOON_MIN <= len(set(ids)) == len(ids) <= AFTERNOON_MAX:
        raise ValidationError(AFTERNOON_COUNT)
    days = {local_day(at) for _, at in legs if not timezone.is_naive(at)}
    if len(days) != 1 or any(timezone.is_naive(at) for _, at in legs):
        raise ValidationError(AFTERNOON_ONE_DAY)
    member_lock(user=guest)
    locked = {pk: listing_lock(listing_id=pk) for pk in sorted(ids)}
    afternoon = TourAfternoon(guest=guest, day=days.pop())
    afternoon.full_clean()
    afternoon.save()
    tours = []
    for listing, starts_at in sorted(legs, key=lambda leg: leg[1]):
        try:
            tours.append(
                _place(
                    guest=guest,
                    listing=locked[listing.pk],
                    starts_at=starts_at,
                    desks=desks,
                    move_in=move_in,
                    now=now,
                    afternoon=afternoon,
                )
            )
        except ValidationError as exc:
            title = locked[listing.pk].title
            raise ValidationError(
                [f"{title}: {message}" for message in exc.messages]
                + ["Nothing was booked: pick another plan."],
                code=getattr(exc, "code", None),
            ) from exc
    for tour in tours:
        tour_emails_enqueue(tour=tour, kind=TourEmailKind.BOOKED)
    return afternoon


def _lock_tour(tour: Tour, *, guest: bool) -> Tour:
    """With ``guest`` (a move: the guest's other tours stay as checked) the guest's row lock,
    then the listing's and the tour's; all fresh. Inside transaction.atomic."""
    if guest:
        user_lock(user_id=tour.guest_id)
    listing = listing_lock(listing_id=tour.listing_id)
    locked = Tour.objects.select_for_update().get(pk=tour.pk)
    locked.listing = listing
    return locked


def _check_change(*, tour: Tour, by: User, now: datetime.datetime) -> None:
    if by.pk not in {tour.guest_id, tour.listing.host_id}:
        raise ValidationError(TOUR_NOT_A_PARTY, code="not_a_party")
    if not tour.is_booked:
        raise ValidationError(TOUR_NOT_BOOKED)
    if tour.starts_at <= now:
        raise ValidationError(TOUR_OVER)


@transaction.atomic
def tour_move(
    *,
    tour: Tour,
    by: User,
    starts_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> Tour:
    """Move a booked tour to another free slot of its listing (guest or host). Both get an
    updated invitation (the same UID, a higher SEQUENCE)."""
    now = now or timezone.now()
    tour = _lock_tour(tour, guest=True)
    _check_change(tour=tour, by=by, now=now)
    if timezone.is_naive(starts_at):
        raise ValidationError(TOUR_NOT_A_SLOT)
    starts_at = starts_at.astimezone(datetime.UTC)
    if starts_at == tour.starts_at:
        raise ValidationError(TOUR_SAME_TIME)
    _check_slot(listing=tour.listing, starts_at=starts_at, now=now, exclude_tour_id=tour.pk)
    _check_guest_free(
        guest=tour.guest, listing=tour.listing, starts_at=starts_at, exclude_tour_id=tour.pk
    )
    tour.starts_at = starts_at
    tour.ends_at = starts_at + SLOT
    tour.sequence += 1
    tour.scheduled_at = now
    tour.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            tour.save()
    except IntegrityError as exc:
        raise ValidationError(
            TOUR_SLOT_TAKEN.format(time=_when(starts_at), title=tour.listing.title), code="taken"
        ) from exc
    tour_emails_enqueue(tour=tour, kind=TourEmailKind.MOVED)
    return tour


def _cancel(
    tour: Tour, *, by: User, now: datetime.datetime, email: TourEmailKind = TourEmailKind.CANCELLED
) -> Tour:
    """The one cancellation rule: a booked tour, until it starts, by its guest or host; both
    get ``email`` with the cancelled invitation. Inside transaction.atomic. Locks the
    listing, then the tour, and no guest: freeing time breaks no travel gap, and taking the
    listing off the site (``listing_tours_cancel``) already holds the listing's lock, after
    which a guest's would break the lock order."""
    tour = _lock_tour(tour, guest=False)
    _check_change(tour=tour, by=by, now=now)
    tour.status = Tour.Status.CANCELLED
    tour.cancelled_by = by
    tour.sequence += 1
    tour.full_clean(validate_constraints=False)
    tour.save()
    tour_emails_enqueue(tour=tour, kind=email)
    return tour


@transaction.atomic
def tour_cancel(*, tour: Tour, by: User, now: datetime.datetime | None = None) -> Tour:
    """Cancel a booked tour (guest or host); the slot is free again and both get a
    cancellation (METHOD:CANCEL, a higher SEQUENCE)."""
    return _cancel(tour, by=by, now=now or timezone.now())


@transaction.atomic
def listing_tours_cancel(*, listing_id: int, now: datetime.datetime | None = None) -> list[Tour]:
    """Cancel the upcoming tours of a listing taken off the site (archived, or back to
    draft), as its host, by ``tour_cancel``'s rule: each guest (and the host) is told the
    space is no longer listed, with the cancelled invitation. A tour under way or over is
    left as it is. Returns the tours cancelled; nothing while the listing is published
    (taken off, then published again)."""
    now = now or timezone.now()
    listing = listing_lock(listing_id=listing_id)
    if listing.is_published:
        return []
    cancelled = []
    upcoming = Tour.objects.upcoming(now).filter(listing_id=listing_id)
    for tour in upcoming.order_by("starts_at", "pk"):
        try:
            with transaction.atomic():  # a savepoint: a refusal leaves the others
                cancelled.append(
                    _cancel(tour, by=listing.host, now=now, email=TourEmailKind.WITHDRAWN)
                )
        except ValidationError:
            continue  # under way: it cannot be cancelled any more (TOUR_OVER)
    return cancelled


def tours_cancel_on_unlist(sender, *, listing_id: int, **kwargs) -> None:
    """``listings.signals.listing_unlisted`` receiver: in the transaction that archived the
    listing or set it back to draft, cancel its upcoming tours (rows of that transaction;
    the emails are jobs)."""
    listing_tours_cancel(listing_id=listing_id)


REMIND_BEFORE = datetime.timedelta(days=1)


def tour_remind(*, now: datetime.datetime | None = None) -> int:
    """Queue a reminder to both sides of every booked tour starting within a day whose time
    was set more than a day before it; return how many tours. Once per tour and time: the
    reminder is queued under a once-only marker (key with the invitation's SEQUENCE), so a
    repeated or concurrent run queues nothing twice, and a moved tour is reminded of its new
    time."""
    now = now or timezone.now()
    due = Tour.objects.booked().filter(starts_at__gt=now, starts_at__lte=now + REMIND_BEFORE)
    queued = 0
    for tour in due.order_by("pk"):
        if tour.starts_at - tour.scheduled_at <= REMIND_BEFORE:
            continue  # its booking (or move) email is as fresh as a reminder
        queued += effect_once(
            key=f"tour:{tour.pk}:reminder:seq:{tour.sequence}:queued",
            effect=lambda tour=tour: tour_emails_enqueue(tour=tour, kind=TourEmailKind.REMINDER),
        )
    return queued


FOLLOW_UP_WITHIN = datetime.timedelta(days=1)


def tour_follow_up(*, now: datetime.datetime | None = None) -> int:
    """After a tour: email its guest a link to the listing's request form, pre-filled with
    the desks and move-in date they gave; return how many were queued. Once per tour (a
    once-only marker), for tours that ended within the last day."""
    now = now or timezone.now()
    done = Tour.objects.booked().filter(ends_at__lte=now, ends_at__gt=now - FOLLOW_UP_WITHIN)
    queued = 0
    for tour in done.order_by("pk"):
        queued += effect_once(
            key=f"tour:{tour.pk}:follow_up:queued",
            effect=lambda tour=tour: tour_emails_enqueue(
                tour=tour, kind=TourEmailKind.FOLLOW_UP, to=[TourRecipient.GUEST]
            ),
        )
    return queued


def _listing_changed(listing_id: int) -> None:
    """Tour hours show on the listing's public page."""
    public_content_changed(instance=Listing.objects.select_related("city").get(pk=listing_id))


@transaction.atomic
def tour_hours_save(*, hours: TourHours) -> TourHours:
    """Create or change a listing's tour hours (weekday, from, to; on the half hour)."""
    hours.full_clean()
    hours.save()
    _listing_changed(hours.listing_id)
    return hours


@transaction.atomic
def tour_hours_delete(*, hours: TourHours) -> None:
    listing_id = hours.listing_id
    hours.delete()
    _listing_changed(listing_id)


@transaction.atomic
def tour_day_off_save(*, day_off: TourDayOff) -> TourDayOff:
    """A day without tours. Tours already booked that day stay: the host moves or cancels
    them (each guest is told)."""
    day_off.full_clean()
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives
            day_off.save()
    except IntegrityError as exc:  # the same day saved meanwhile: the constraint holds
        raise ValidationError(TOUR_DAY_OFF_TWICE.format(day=day_off.day), code="duplicate") from exc
    return day_off


@transaction.atomic
def tour_day_off_delete(*, day_off: TourDayOff) -> None:
    day_off.delete()
