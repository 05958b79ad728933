"""Writes for the waitlist: joining and leaving the line, offering freed desks, taking up or
declining an offer.

Lock order is the bookings' one (docs/decisions/0155): the guest's own row when a guest
joins a line or takes up an offer (``accounts.services.member_lock``: a closing account and
these writes queue, and a closed one is refused), then the listing row (``listing_lock``),
then the bookings' rows (an offer's hold, ``hold_lock``), then the waitlist's (the entry):
``_entry_lock`` takes all three, in that order, for every write to an entry that has or may
have a hold (taking up, declining, leaving, lapsing). An offer is a bookings ``Hold``: it counts
against capacity in the same count and under the same lock as bookings, so an offer and a
request racing for the last desks cannot both have them. Emails are job rows written in
the transaction that makes or lapses the offer (waitlist.emails), sent after it commits.
"""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.models import User
from accounts.services import member_lock
from bookings.models import Booking, Hold
from bookings.rules import move_in_range
from bookings.selectors import desks_free
from bookings.services import (
    booking_terms_check,
    first_start_day,
    hold_book,
    hold_create,
    hold_lock,
    hold_release,
)
from listings.models import Listing
from listings.services import listing_lock

from .emails import lapse_email_enqueue, offer_email_enqueue
from .models import WaitlistEntry
from .selectors import lines_to_leave

WAITLIST_UNPUBLISHED = "This space is not open for bookings, so it has no waitlist."
WAITLIST_OWN_LISTING = "This is your own space: you cannot join its waitlist."
WAITLIST_ALREADY = (
    "You are already on this waitlist, for {desks} desk{s} from {start:%B %-d, %Y}. Leave it "
    "first to ask for something else."
)
WAITLIST_TOO_MANY_DESKS = "This space has {desks} desk{s}: it can never offer more."
WAITLIST_DESKS_FREE = "Those desks are free now: request them instead of joining the waitlist."
WAITLIST_NOT_YOURS = "This is not your place in line."
WAITLIST_CLOSED = "You are no longer in this line ({status})."
OFFER_NOT_OPEN = "This offer is no longer open: {status}."


def _entry_lock(entry: WaitlistEntry) -> WaitlistEntry:
    """The listing's row lock, then its offer's hold's (if it has one), then the entry's
    (docs/decisions/0155); the entry fresh. Inside transaction.atomic."""
    listing = listing_lock(listing_id=entry.listing_id)
    # Read under the listing's lock: an entry gets its hold only under it (offers_make).
    hold_id = WaitlistEntry.objects.filter(pk=entry.pk).values_list("hold_id", flat=True).get()
    if hold_id is not None:
        hold_lock(hold_id=hold_id)
    locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    locked.listing = listing
    return locked


@transaction.atomic
def waitlist_join(
    *, guest: User, listing: Listing, desks: int, start: datetime.date, months: int
) -> WaitlistEntry:
    """Put ``guest`` in line for ``desks`` desks from ``start`` for ``months`` months on a
    listing that cannot take them now. The same terms a request must meet
    (``booking_terms_check``); refused when the desks are free (ValidationError code
    "free": request them), for the host, for a guest already in this line, and for a
    closed account (code "closed"). Locks the guest's row, then the listing's."""
    member_lock(user=guest)
    listing = listing_lock(listing_id=listing.pk)
    if not listing.is_published:
        raise ValidationError(WAITLIST_UNPUBLISHED)
    if guest.pk == listing.host_id:
        raise ValidationError(WAITLIST_OWN_LISTING)
    already = WaitlistEntry.objects.open().filter(listing=listing, guest=guest).first()
    if already is not None:
        raise ValidationError(
            WAITLIST_ALREADY.format(
                desks=already.desks, s=pluralize(already.desks), start=already.start
            ),
            code="duplicate",
            params={"entry_id": already.pk},
        )
    booking_terms_check(listing=listing, desks=desks, start=start, months=months)
    if desks > listing.desks:
        raise ValidationError(
            WAITLIST_TOO_MANY_DESKS.format(desks=listing.desks, s=pluralize(listing.desks))
        )
    if desks <= desks_free(listing=listing, start=start, months=months):
        raise ValidationError(WAITLIST_DESKS_FREE, code="free")
    entry = WaitlistEntry(listing=listing, guest=guest, desks=desks, start=start, months=months)
    entry.full_clean()
    entry.save()
    return entry


def offer_start(*, entry: WaitlistEntry, today: datetime.date) -> datetime.date:
    """The move-in day an offer to ``entry`` is for: the day asked for, or, when that has
    come too close or passed while the guest waited, the first day the listing can take."""
    return max(entry.start, first_start_day(listing=entry.listing, today=today))


@transaction.atomic
def offers_make(*, listing_id: int, today: datetime.date | None = None) -> list[WaitlistEntry]:
    """Offer what is free on a listing to its line, first come first offered: each waiting
    entry whose desks are free for its term gets a hold and an offer email; one that wants
    more than is free is passed over and keeps its place. Returns the entries offered.

    Locks the listing row first, so the count and the holds are one step: a request or an
    approval waits, then counts the holds. Safe to run again: an entry is offered once.
    """
    listing = listing_lock(listing_id=listing_id)
    if not listing.is_published:
        return []
    today = today or timezone.localdate()
    last = move_in_range(today=today)[1]
    offered = []
    line = (
        WaitlistEntry.objects.waiting()
        .filter(listing=listing)
        .select_for_update(of=("self",))  # the entries, not their guests' rows
        .select_related("guest")
        .in_line_order()
    )
    for entry in line:
        entry.listing = listing
        start = offer_start(entry=entry, today=today)
        if start > last:
            continue
        if entry.desks > desks_free(listing=listing, start=start, months=entry.months):
            continue  # skipped, not blocking: the next in line may want fewer
        entry.hold = hold_create(
            listing=listing, guest=entry.guest, desks=entry.desks, start=start, months=entry.months
        )
        entry.status = WaitlistEntry.Status.OFFERED
        entry.token = secrets.token_urlsafe(32)
        entry.full_clean()
        entry.save()
        offer_email_enqueue(entry=entry)
        offered.append(entry)
    return offered


def offer_for_guest(*, entry: WaitlistEntry, guest: User) -> None:
    """Raise ValidationError unless ``entry`` is ``guest``'s and holds an open offer (the
    hold's own checks, time included, come when it is taken up)."""
    if entry.guest_id != guest.pk:
        raise ValidationError(WAITLIST_NOT_YOURS, code="not_yours")
    if entry.status != WaitlistEntry.Status.OFFERED:
        raise ValidationError(
            OFFER_NOT_OPEN.format(status=entry.get_status_display().lower()), code="gone"
        )


@transaction.atomic
def offer_accept(*, entry: WaitlistEntry, guest: User, message: str = "") -> Booking:
    """Take up the offer: its hold becomes a request (or, on an instant-book listing, an
    approved booking) through the bookings' own request service, under the listing's lock.
    ValidationError, with nothing changed, when it is not ``guest``'s, not open, lapsed, or
    the request is refused. Locks the guest's row first (``member_lock``)."""
    member_lock(user=guest)
    entry = _entry_lock(entry)
    offer_for_guest(entry=entry, guest=guest)
    booking = hold_book(hold=entry.hold, guest=guest, message=message)
    entry.status = WaitlistEntry.Status.BOOKED
    entry.full_clean()
    entry.save()
    return booking


@transaction.atomic
def offer_decline(*, entry: WaitlistEntry, guest: User) -> WaitlistEntry:
    """The guest turns the offer down and leaves the line; the desks go to the next guest
    who fits (a job, queued by ``hold_release``)."""
    entry = _entry_lock(entry)
    offer_for_guest(entry=entry, guest=guest)
    hold_release(hold=entry.hold, status=Hold.Status.DECLINED, guest=guest)
    entry.status = WaitlistEntry.Status.DECLINED
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def waitlist_leave(*, entry: WaitlistEntry, guest: User) -> WaitlistEntry:
    """The guest leaves the line; leaving with an offer open declines it."""
    entry = _entry_lock(entry)
    if entry.guest_id != guest.pk:
        raise ValidationError(WAITLIST_NOT_YOURS, code="not_yours")
    if entry.status == WaitlistEntry.Status.OFFERED:
        return offer_decline(entry=entry, guest=guest)
    if entry.status != WaitlistEntry.Status.WAITING:
        raise ValidationError(
            WAITLIST_CLOSED.format(status=entry.get_status_display().lower()), code="gone"
        )
    entry.status = WaitlistEntry.Status.LEFT
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def waitlist_account_closed(sender, *, user: User, **kwargs) -> None:
    """Receiver of ``accounts.signals.account_closed``: ``user`` leaves every line they are
    in; an open offer is declined, so its desks go to the next guest. By listing id (the
    lock order, docs/decisions/0155); ``user_close`` locked those listings already, from
    ``waitlist.selectors.account_close_listings`` (the same ``lines_to_leave``)."""
    for entry in lines_to_leave(user_id=user.pk):
        try:
            with transaction.atomic():
                waitlist_leave(entry=entry, guest=user)
        except ValidationError:
            # An offer whose time is up can no longer be declined: offers_lapse (the
            # clock's job) ends it, and its desks go on to the next guest then.
            continue


def offers_lapse(*, now: datetime.datetime | None = None) -> int:
    """Lapse every offer whose time is up; return how many. The guest leaves the line (the
    entry is closed) and is emailed so, with a link to join again; the desks go to the next
    guest who fits (a job, queued by ``hold_release``). Idempotent and safe to run
    concurrently: each offer lapses once, under its entry's lock, and its email is queued in
    that transaction; an offer being taken up right now waits or is refused, never both."""
    now = now or timezone.now()
    due = list(
        WaitlistEntry.objects.offered()
        .filter(hold__status=Hold.Status.HELD, hold__expires_at__lte=now)
        .order_by("pk")
    )
    lapsed = 0
    for entry in due:
        try:
            with transaction.atomic():
                entry = _entry_lock(entry)
                if entry.status != WaitlistEntry.Status.OFFERED:
                    continue
                hold_release(hold=entry.hold, status=Hold.Status.LAPSED, now=now)
                entry.status = WaitlistEntry.Status.LAPSED
                entry.full_clean()
                entry.save()
                lapse_email_enqueue(entry=entry)
        except (ValidationError, IntegrityError):
            continue  # taken up or declined meanwhile
        lapsed += 1
    return lapsed


def offers_make_everywhere(*, today: datetime.date | None = None) -> int:
    """Offer free desks on every listing with a line; return how many offers were made.
    Catches what no event announces: a booking's term running out, the day an entry's
    move-in rolls forward to."""
    listing_ids = WaitlistEntry.objects.waiting().values_list("listing_id", flat=True).distinct()
    return sum(len(offers_make(listing_id=pk, today=today)) for pk in sorted(set(listing_ids)))
