"""Writes for bookings: the public contract that views, both admins and tests call.

The capacity rule — on every day, approved desks on a listing never exceed ``Listing.desks`` —
holds by construction: every write that can change approved desks (request with instant book,
approve, cancel, notice) runs in one transaction that first locks the listing row with
``select_for_update``, and only then counts. Concurrent writers on the same listing queue on
that lock; each counts what the previous one committed. Lock order (docs/decisions/0155):
the guest's own row when a guest makes something new (a request, taking up a hold, a move
into a team: ``accounts.services.member_lock``), then the listing, then a team (a team's
request, a move), then the booking (or hold), so two writers cannot deadlock, and a request
and the closing of the guest's account queue on the guest's row;
listings.services.listing_update takes the same listing lock (``listing_lock``) before it
lowers capacity.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.models import User
from accounts.services import member_lock
from jobs.services import effect_once
from listings.models import Listing
from listings.services import listing_archive, listing_lock
from listings.signals import desks_freed
from pivotdesk.pagecache import public_content_changed
from teams.models import Team
from teams.selectors import member_role
from teams.services import team_lock

from .answers import host_answers_refresh_job
from .emails import BookingEmail, EmailKind, Recipient, booking_emails_enqueue
from .models import (
    EVENT_NOTE_MAX_LENGTH,
    EXPIRE_AFTER,
    INSTANT_BOOK_NOTE,
    Booking,
    BookingEvent,
    Hold,
    Message,
    add_months,
)
from .rules import (
    MAX_LEAD_MONTHS,
    MESSAGE_NOT_A_PARTY,  # noqa: F401 (re-exported: part of this module's messages)
    continuation_of,
    guest_exit,
    host_answer_check,
    move_in_range,
    notice_end,
    operator_end_check,
    team_move_check,
    thread_writer_check,
)
from .selectors import (
    approved_bookings_running,
    approved_intervals,
    booking_refundable_amount,
    desk_change_chain,
    desks_free,
    peak_desks,
)
from .signals import booking_approved, booking_cancelled_before_start, booking_ended_by_operator

MAX_TERM_MONTHS = 36

BOOKING_DESKS_TOO_FEW = "Ask for at least one desk."
BOOKING_NO_DESKS_FREE = "No desks are free for that whole term."
BOOKING_DESKS_NOT_FREE = "Only {free} desk{s} {verb} free for that whole term."
BOOKING_TERM_TOO_SHORT = "This space is let for at least {min} month{s}."


def desks_not_free_message(free: int) -> str:
    """What a guest (or a host approving) reads when the desks asked for are not free."""
    if free <= 0:
        return BOOKING_NO_DESKS_FREE
    return BOOKING_DESKS_NOT_FREE.format(
        free=free, s="" if free == 1 else "s", verb="is" if free == 1 else "are"
    )


def term_too_short_message(months: int) -> str:
    return BOOKING_TERM_TOO_SHORT.format(min=months, s="" if months == 1 else "s")


BOOKING_TERM_TOO_LONG = f"Terms are at most {MAX_TERM_MONTHS} months."
BOOKING_START_IN_PAST = "The start date has already passed."
BOOKING_START_TOO_FAR = f"Terms can start at most {MAX_LEAD_MONTHS} months from today."
BOOKING_START_TOO_EARLY = "This space is available from {date:%B %-d, %Y}."
BOOKING_LISTING_UNPUBLISHED = "This space is not open for bookings."
BOOKING_APPROVE_UNPUBLISHED = (
    "This space is not published, so its requests cannot be approved. Publish it again, or "
    "decline the request."
)
BOOKING_START_TOO_SOON = (
    "The host needs until the day before to answer: choose a move-in date from {date:%B %-d, %Y}."
)
BOOKING_ANSWER_TIME_PASSED = (
    "The time to answer this request ended on {deadline:%B %-d, %Y at %-I:%M %p}: it has "
    "expired. The guest can ask again."
)
BOOKING_OWN_LISTING = "You cannot book your own space."
BOOKING_NOT_IN_TEAM = "You can only book for a team you are a member of."
BOOKING_TEAM_CLOSED = "{team} is closed: book for yourself or for another team."
BOOKING_OFFICE_WHOLE = "This private office is let whole: ask for all {desks} desks."
BOOKING_DUPLICATE = "You have already asked for {desks} desk{s} here from {start:%B %-d, %Y}."
MESSAGE_EMPTY = "Write a message first."
MOVE_NOT_IN_TEAM = "You can only move a booking into a team you are a member of."
MOVE_TEAM_CLOSED = "{team} is closed: it takes no bookings."
MOVED_NOTE = "Made a booking of the team {team}"

LISTING_NOT_YOURS = "Only the host of this space can archive it."
WITHDRAWN_NOTE = "Declined: the space is no longer listed"
WITHDRAWN_DECLINE_MESSAGE = (
    "Sorry — this space is no longer listed on PivotDesk, so your request could not be "
    "accepted. Search for another space: many have desks free from your date."
)
WITHDRAWN_BOOKING_STANDS = (
    "This space is no longer listed on PivotDesk, but your booking stands as agreed: "
    "{desks} desk{s} from {start:%B %-d, %Y} to {last:%B %-d, %Y}. Your booking page and this "
    "thread stay here."
)
AUTO_DECLINE_NOTE = "Declined automatically: the desks were booked for part of this term."
AUTO_DECLINE_MESSAGE = (
    "Sorry — another booking was just approved and the desks you asked for are no longer "
    "free for your whole term. Try fewer desks or other dates."
)


def _email(
    booking: Booking,
    kind: EmailKind,
    to: Recipient,
    *,
    event: BookingEvent | None = None,
    message: Message | None = None,
) -> BookingEmail:
    return BookingEmail(
        booking_id=booking.pk,
        kind=kind,
        to=to,
        event_id=event.pk if event else None,
        message_id=message.pk if message else None,
    )


def _set_status(
    booking: Booking, *, status: str, actor: User | None, note: str = ""
) -> BookingEvent:
    """Change status, stamp decided_at for host/system decisions, and record who and when."""
    previous = booking.status
    booking.status = status
    if status in {Booking.Status.APPROVED, Booking.Status.DECLINED, Booking.Status.EXPIRED}:
        booking.decided_at = timezone.now()
    booking.full_clean()
    booking.save()
    if previous == Booking.Status.REQUESTED and status != previous:
        _hold_settle(booking)
    if previous == Booking.Status.REQUESTED and status != Booking.Status.CANCELLED:
        # An answer or an expiry: how fast this host answers may have changed.
        host_answers_refresh_job.enqueue(host_id=booking.listing.host_id)
    return BookingEvent.objects.create(
        booking=booking,
        from_status=previous,
        to_status=status,
        actor=actor,
        note=note[:EVENT_NOTE_MAX_LENGTH],
    )


# What becomes of a hold kept for a request (a waitlist offer taken up) when it is answered.
HOLD_AFTER_REQUEST = {
    Booking.Status.APPROVED: Hold.Status.BOOKED,
    Booking.Status.DECLINED: Hold.Status.DECLINED,
    Booking.Status.CANCELLED: Hold.Status.DECLINED,
    Booking.Status.EXPIRED: Hold.Status.LAPSED,
}


def _hold_settle(booking: Booking) -> None:
    """A request made from a hold has been answered (or withdrawn, or expired): the hold
    that kept its desks while the host decided ends. If the desks did not become the
    booking's, they are free again. Caller holds the listing's lock (every writer of a
    booking's status does)."""
    held = Hold.objects.active().filter(booking=booking).first()
    if held is None:
        return
    held.status = HOLD_AFTER_REQUEST[booking.status]
    held.save(update_fields=["status", "updated_at"])
    if not booking.is_approved:
        public_content_changed(instance=booking.listing)
        desks_freed.send(sender=Hold, listing_id=booking.listing_id)


def _lock_listing(listing_id: int) -> Listing:
    """Caller must be inside transaction.atomic. Returns the listing re-read under the lock
    (the same first lock listings.services.listing_update takes to change capacity)."""
    return listing_lock(listing_id=listing_id)


def _lock_booking(booking: Booking) -> Booking:
    """Lock the listing, then the booking, and return both fresh. Inside transaction.atomic."""
    listing = _lock_listing(booking.listing_id)
    locked = Booking.objects.select_for_update().get(pk=booking.pk)
    locked.listing = listing
    return locked


def _decline_what_no_longer_fits(
    *, listing: Listing, approved: Booking, actor: User | None
) -> list[BookingEvent]:
    """Decline the pending requests overlapping ``approved`` that no longer fit beside the
    approved bookings, each with a note and a message in its thread; return the declines.

    Caller must hold the row lock on the listing and have just approved ``approved``.
    """
    pending = list(
        Booking.objects.pending()
        .select_for_update()
        .filter(listing_id=listing.pk)
        .overlapping(approved.start, approved.end)
        .exclude(pk=approved.pk)
    )
    if not pending:
        return []
    lo, hi = min(b.start for b in pending), max(b.end for b in pending)
    intervals = approved_intervals(listing=listing, start=lo, end=hi)
    declined = []
    for other in pending:
        used = peak_desks(intervals, start=other.start, end=other.end)
        if other.desks > listing.desks - used:
            other.listing = listing
            event = _set_status(
                other, status=Booking.Status.DECLINED, actor=actor, note=AUTO_DECLINE_NOTE
            )
            # From the host even under instant book: a thread is between guest and host.
            Message.objects.create(
                booking=other, author_id=listing.host_id, body=AUTO_DECLINE_MESSAGE
            )
            declined.append(event)
    return declined


def booking_terms_check(*, listing: Listing, desks: int, start: datetime.date, months: int) -> None:
    """Raise ValidationError unless ``desks`` desks from ``start`` for ``months`` months is
    something ``listing`` lets (whether they are free is not asked here). A request and a
    place on the waitlist ask the same."""
    if desks < 1:
        raise ValidationError(BOOKING_DESKS_TOO_FEW)
    if listing.is_let_whole and desks != listing.desks:
        raise ValidationError(BOOKING_OFFICE_WHOLE.format(desks=listing.desks))
    if months < listing.min_term_months:
        raise ValidationError(term_too_short_message(listing.min_term_months))
    if months > MAX_TERM_MONTHS:
        raise ValidationError(BOOKING_TERM_TOO_LONG)
    first, last = move_in_range(today=timezone.localdate())
    if start < first:
        raise ValidationError(BOOKING_START_IN_PAST)
    if start > last:
        raise ValidationError(BOOKING_START_TOO_FAR)
    if start < listing.available_from:
        raise ValidationError(BOOKING_START_TOO_EARLY.format(date=listing.available_from))
    if not listing.instant_book and start <= first:
        # A host answers by the end of the day before the move-in day: today is too late.
        raise ValidationError(BOOKING_START_TOO_SOON.format(date=first + datetime.timedelta(1)))


def first_start_day(*, listing: Listing, today: datetime.date) -> datetime.date:
    """The earliest move-in day ``booking_terms_check`` lets on ``today``."""
    soonest = today if listing.instant_book else today + datetime.timedelta(1)
    return max(soonest, listing.available_from)


@transaction.atomic
def booking_request(
    *,
    guest: User,
    listing: Listing,
    desks: int,
    start: datetime.date,
    months: int,
    message: str = "",
    request_key: str = "",
    team: Team | None = None,
) -> Booking:
    """Request ``desks`` desks from ``start`` for ``months`` months.

    One request per intent: the same ``request_key`` (the form's one-time key: a double click,
    Back and submit again) returns the booking it already made, and an open request or booking
    of this guest for the same listing, start and term is refused with ValidationError code
    "duplicate" (``params["booking_id"]`` names it) — no second request, no second email.

    Locks the guest's row (``member_lock``: a closed account is refused, code "closed"; a
    close in flight commits first or waits and sees this request), then the listing row
    before counting free desks, so the answer holds until commit. With
    ``listing.instant_book`` a request that fits is approved under the same lock, and
    pending requests it leaves no room for are declined as after a host's approval.
    Raises ValidationError when the request is not allowed.
    """
    member_lock(user=guest)
    listing = _lock_listing(listing.pk)
    # Under the listing's lock: a second submit waits for the first and then sees it.
    if request_key:
        made = Booking.objects.filter(guest=guest, request_key=request_key).first()
        if made is not None:
            return made
    if not listing.is_published:
        raise ValidationError(BOOKING_LISTING_UNPUBLISHED)
    if guest.pk == listing.host_id:
        raise ValidationError(BOOKING_OWN_LISTING)
    same = (
        Booking.objects.filter(guest=guest, listing=listing, start=start, months=months)
        .filter(Q(status=Booking.Status.REQUESTED) | Q(status=Booking.Status.APPROVED))
        .first()
    )
    if same is not None:
        raise ValidationError(
            BOOKING_DUPLICATE.format(desks=same.desks, s=pluralize(same.desks), start=start),
            code="duplicate",
            params={"booking_id": same.pk},
        )
    if team is not None:
        # After the listing's lock (teams.services: lock order): a close in flight commits
        # first and is seen here, or waits for this booking and then refuses to close.
        team = team_lock(team_id=team.pk)
        if member_role(team_id=team.pk, user=guest) is None:
            raise ValidationError(BOOKING_NOT_IN_TEAM)
        if team.is_closed:
            raise ValidationError(BOOKING_TEAM_CLOSED.format(team=team.name))
    booking_terms_check(listing=listing, desks=desks, start=start, months=months)
    end = add_months(start, months)
    free = desks_free(listing=listing, start=start, months=months)  # under the listing's lock
    if desks > free:
        raise ValidationError(desks_not_free_message(free), code="not_free")

    booking = Booking(
        listing=listing,
        guest=guest,
        desks=desks,
        start=start,
        months=months,
        end=end,
        price_per_desk=listing.price_per_desk,
        total=listing.price_per_desk * desks * months,
        message=message.strip(),
        request_key=request_key,
        team=team,
    )
    booking.full_clean()
    booking.save()
    requested = BookingEvent.objects.create(booking=booking, to_status=booking.status, actor=guest)
    emails = []
    if listing.instant_book:
        # Still under the listing lock, and the count above already includes every approval.
        approved = _set_status(
            booking, status=Booking.Status.APPROVED, actor=None, note=INSTANT_BOOK_NOTE
        )
        emails.append(_email(booking, EmailKind.APPROVED, Recipient.GUEST, event=approved))
        booking_approved.send(sender=Booking, booking=booking)
        # Requests made before the host turned instant book on may no longer fit.
        declined = _decline_what_no_longer_fits(listing=listing, approved=booking, actor=None)
        emails += [
            _email(e.booking, EmailKind.DECLINED, Recipient.GUEST, event=e) for e in declined
        ]
    emails.append(_email(booking, EmailKind.REQUEST_NEW, Recipient.HOST, event=requested))
    booking_emails_enqueue(emails)
    return booking


@transaction.atomic
def booking_approve(*, booking: Booking, host: User) -> Booking:
    """Approve a pending request, then decline (with a message and an email) the other pending
    requests on the listing that no longer fit.

    Refuses a request on a listing that is no longer published, or whose answer-by time
    (``Booking.answer_by``) has passed.
    Locks the listing row, then the booking, before counting, so concurrent approvals and
    requests cannot overbook.
    """
    booking = _lock_booking(booking)
    listing = booking.listing
    host_answer_check(booking=booking, user=host, answer="approved")
    if timezone.now() >= booking.answer_by:
        raise ValidationError(
            BOOKING_ANSWER_TIME_PASSED.format(deadline=timezone.localtime(booking.answer_by))
        )
    if not listing.is_published:
        raise ValidationError(BOOKING_APPROVE_UNPUBLISHED)
    # A hold kept for this request counts no more: the approval counts in its place (a
    # refusal below rolls this back with everything else).
    Hold.objects.active().filter(booking=booking).update(
        status=Hold.Status.BOOKED, updated_at=timezone.now()
    )
    free = desks_free(listing=listing, start=booking.start, months=booking.months)
    if booking.desks > free:
        raise ValidationError(desks_not_free_message(free))
    approved = _set_status(booking, status=Booking.Status.APPROVED, actor=host)
    booking_approved.send(sender=Booking, booking=booking)
    declined = _decline_what_no_longer_fits(listing=listing, approved=booking, actor=host)
    booking_emails_enqueue(
        [
            _email(booking, EmailKind.APPROVED, Recipient.GUEST, event=approved),
            *(_email(e.booking, EmailKind.DECLINED, Recipient.GUEST, event=e) for e in declined),
        ]
    )
    return booking


@transaction.atomic
def booking_decline(*, booking: Booking, host: User, reason: str = "") -> Booking:
    """Decline a pending request; a reason, if given, goes into the thread for the guest."""
    booking = _lock_booking(booking)
    host_answer_check(booking=booking, user=host, answer="declined")
    reason = reason.strip()
    event = _set_status(booking, status=Booking.Status.DECLINED, actor=host, note=reason)
    if reason:
        Message.objects.create(booking=booking, author=host, body=reason[:5000])
    booking_emails_enqueue([_email(booking, EmailKind.DECLINED, Recipient.GUEST, event=event)])
    return booking


@transaction.atomic
def booking_cancel(*, booking: Booking, by: User) -> Booking:
    """The guest cancels: a pending request any time, an approved booking before it starts.

    After the start the guest gives 30 days' notice instead: the booking stays approved and its
    end moves to today + 30 days (never later than the original end), so the desks are free
    from then. Hosts cannot cancel; they decline requests. Locks the listing, then the booking.
    """
    booking = _lock_booking(booking)
    today = timezone.localdate()
    if guest_exit(booking=booking, user=by, today=today) == "cancel":
        was_approved = booking.is_approved  # a request holds no desks
        event = _set_status(booking, status=Booking.Status.CANCELLED, actor=by)
        if was_approved:
            booking_cancelled_before_start.send(sender=Booking, booking=booking)
        booking_emails_enqueue(
            [_email(booking, EmailKind.CANCELLED, to, event=event) for to in Recipient]
        )
        if was_approved:
            desks_freed.send(sender=Booking, listing_id=booking.listing_id)
        return booking
    new_end = notice_end(booking=booking, today=today)
    if new_end <= booking.start:
        # A continuation (a desk change) that has not begun: notice ends the booking it
        # continues, and the continuation never starts.
        return _notice_before_continuation(booking=booking, by=by, end=new_end)
    booking.end = new_end
    booking.notice_given_at = timezone.now()
    event = _set_status(
        booking,
        status=Booking.Status.APPROVED,
        actor=by,
        note=f"30 days' notice given: ends {new_end:%Y-%m-%d}",
    )
    booking_emails_enqueue([_email(booking, EmailKind.NOTICE, to, event=event) for to in Recipient])
    desks_freed.send(sender=Booking, listing_id=booking.listing_id)
    return booking


def _notice_before_continuation(*, booking: Booking, by: User, end: datetime.date) -> Booking:
    """Notice on ``booking``, a continuation that starts after ``end``: the booking it
    continues ends on ``end`` instead, and ``booking`` is cancelled. Caller holds the locks
    (listing, then ``booking``); the predecessor is locked here."""
    before = Booking.objects.select_for_update().get(pk=booking.continues_id)
    before.end = end
    before.notice_given_at = timezone.now()
    note = f"30 days' notice given: ends {end:%Y-%m-%d}"
    event = _set_status(before, status=Booking.Status.APPROVED, actor=by, note=note)
    _set_status(booking, status=Booking.Status.CANCELLED, actor=by, note=note)
    booking_emails_enqueue([_email(before, EmailKind.NOTICE, to, event=event) for to in Recipient])
    desks_freed.send(sender=Booking, listing_id=booking.listing_id)
    return before


@transaction.atomic
def booking_move_to_team(*, booking: Booking, team: Team, by: User) -> Booking:
    """Its maker makes personal ``booking`` a booking of ``team`` (decision 0195): from now on
    the team's members see it, its thread, invoices and receipts (``visible_to``), and its
    receipts copy the team's billing email. Only the maker, a request waiting for an answer
    or an approved booking that has not ended (``rules.team_move_check``), into an open team
    the maker is a member of. The bookings linked to it by desk changes
    (``selectors.desk_change_chain``) move with it: they are one agreement. Price, dates,
    desks, card and charges do not change; nobody is emailed (nothing changes for the host).
    One way: there is no move back.

    Lock order (decision 0155): the maker's row (``member_lock``: a closed account is
    refused), the listing, the team (so a close or a member leaving queues with the move:
    whichever commits second sees the first), then the bookings. Raises ValidationError,
    nothing changed, when the move is not allowed.
    """
    member_lock(user=by)
    listing = _lock_listing(booking.listing_id)
    team = team_lock(team_id=team.pk)
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    team_move_check(booking=booking, user=by, today=timezone.localdate())
    if member_role(team_id=team.pk, user=by) is None:
        raise ValidationError(MOVE_NOT_IN_TEAM, code="not_member")
    if team.is_closed:
        raise ValidationError(MOVE_TEAM_CLOSED.format(team=team.name), code="closed")
    moved = booking
    for linked in desk_change_chain(booking=booking).select_for_update():
        if linked.team_id is not None:
            continue
        linked.team = team
        linked.full_clean()
        linked.save(update_fields=["team", "updated_at"])
        BookingEvent.objects.create(
            booking=linked,
            from_status=linked.status,
            to_status=linked.status,
            actor=by,
            note=MOVED_NOTE.format(team=team.name)[:500],
        )
        if linked.pk == booking.pk:
            moved = linked
    moved.listing = listing
    return moved


@transaction.atomic
def message_create(*, booking: Booking, author: User, body: str) -> Message:
    """Add to the thread; the other party gets an email."""
    thread_writer_check(booking=booking, user=author)
    body = (body or "").strip()
    if not body:
        raise ValidationError(MESSAGE_EMPTY)
    message = Message(booking=booking, author=author, body=body)
    message.full_clean()
    message.save()
    Booking.objects.filter(pk=booking.pk).update(updated_at=timezone.now())
    to = Recipient.GUEST if author.pk == booking.listing.host_id else Recipient.HOST
    booking_emails_enqueue([_email(booking, EmailKind.MESSAGE_NEW, to, message=message)])
    return message


def booking_expire_stale(*, now: datetime.datetime | None = None) -> int:
    """Expire requests whose answer-by time has passed (``Booking.answer_by``: 72 hours, or
    the end of the day before the move-in day if that is sooner); return how many.

    Idempotent and safe to run concurrently (e.g. every 10 minutes from a scheduler): rows
    another transaction is deciding right now are skipped (SKIP LOCKED) and picked up by the
    next run, and an expired request is never touched again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            Booking.objects.pending()
            .filter(Q(created_at__lte=now - EXPIRE_AFTER) | Q(start__lte=timezone.localdate(now)))
            .select_for_update(skip_locked=True)
            .order_by("pk")
        )
        expired = [
            _set_status(
                booking,
                status=Booking.Status.EXPIRED,
                actor=None,
                note="No answer in time",
            )
            for booking in stale
        ]
        booking_emails_enqueue(
            [_email(e.booking, EmailKind.EXPIRED, Recipient.GUEST, event=e) for e in expired]
        )
    return len(stale)


@dataclass(frozen=True)
class Withdrawal:
    """What archiving a listing did to its bookings."""

    listing: Listing
    declined: list[Booking]
    told: list[Booking]


@transaction.atomic
def listing_withdraw(*, listing: Listing, by: User) -> Withdrawal:
    """Archive ``listing`` and settle its bookings: pending requests are declined, with a
    message in their thread and an email; guests with approved bookings that have not ended
    are told by a message and an email that their booking stands (its page stays theirs).

    Locks the listing row first, so no request or approval slips in between. ``by`` is the
    listing's host (or an operator: ``User.is_operator``).
    """
    locked = _lock_listing(listing.pk)
    if by.pk != locked.host_id and not by.is_operator:
        raise ValidationError(LISTING_NOT_YOURS)
    archived = listing_archive(listing=locked)
    emails = []
    declined = list(
        Booking.objects.pending()
        .select_for_update()
        .filter(listing_id=locked.pk)
        .order_by("created_at", "pk")
    )
    for booking in declined:
        event = _set_status(booking, status=Booking.Status.DECLINED, actor=by, note=WITHDRAWN_NOTE)
        Message.objects.create(
            booking=booking, author_id=locked.host_id, body=WITHDRAWN_DECLINE_MESSAGE
        )
        emails.append(_email(booking, EmailKind.DECLINED, Recipient.GUEST, event=event))
    told = approved_bookings_running(listing=locked, on=timezone.localdate())
    for booking in told:
        body = WITHDRAWN_BOOKING_STANDS.format(
            desks=booking.desks,
            s=pluralize(booking.desks),
            start=booking.start,
            last=booking.end - datetime.timedelta(days=1),
        )
        message = Message.objects.create(booking=booking, author_id=locked.host_id, body=body)
        emails.append(_email(booking, EmailKind.MESSAGE_NEW, Recipient.GUEST, message=message))
    booking_emails_enqueue(emails)
    return Withdrawal(listing=archived, declined=declined, told=told)


REMIND_BEFORE = datetime.timedelta(days=1)


def booking_remind_hosts(*, now: datetime.datetime | None = None) -> int:
    """Email each host whose request expires within a day a reminder; return how many were
    queued. One reminder per request, ever: the reminder is queued with a once-only marker in
    the same transaction, so a repeated or concurrent run queues nothing twice. A request
    made less than a day before its deadline gets none (its new-request email is as fresh)."""
    now = now or timezone.now()
    due = [
        booking
        for booking in Booking.objects.pending().order_by("pk")
        if booking.answer_by - REMIND_BEFORE <= now < booking.answer_by
        and booking.answer_by - booking.created_at > REMIND_BEFORE
    ]
    queued = 0
    for booking in due:
        email = _email(booking, EmailKind.REMINDER, Recipient.HOST)
        queued += effect_once(
            key=f"{email.key}:queued", effect=lambda email=email: booking_emails_enqueue([email])
        )
    return queued


RELEASE_NOT_APPROVED = "Only an approved booking can be released."


@transaction.atomic
def booking_release(*, booking: Booking, by: User | None, note: str) -> Booking:
    """End an approved booking early for a reason the platform decided (unpaid rent): it is
    cancelled, its desks are free again from now, and ``note`` goes into the thread from the
    host, emailed to the guest. The caller checks who may release and when (payments
    allows it after rent has been due 7 days). Locks the listing, then the booking."""
    booking = _lock_booking(booking)
    if not booking.is_approved:
        raise ValidationError(RELEASE_NOT_APPROVED)
    _set_status(booking, status=Booking.Status.CANCELLED, actor=by, note=note)
    message = Message.objects.create(
        booking=booking, author_id=booking.listing.host_id, body=note[:5000]
    )
    booking_emails_enqueue(
        [_email(booking, EmailKind.MESSAGE_NEW, Recipient.GUEST, message=message)]
    )
    desks_freed.send(sender=Booking, listing_id=booking.listing_id)
    return booking


END_REASON_NEEDED = "Write why the booking ends: the guest and the host read it."
END_REFUND_BAD = "Give back an amount in dollars and cents, such as 120.50."
END_REFUND_NOT_RUNNING = (
    "Only a booking that has started gives back part of its rent: before the start everything "
    "paid goes back, and a request has paid nothing."
)
END_REFUND_OFF = "Payments are off: nothing can be given back."
END_REFUND_TOO_MUCH = "At most ${most:,.2f} of the rent paid can be given back."
# The history's note, which the emails quote: who, what, from when, the refund and why.
END_DECLINED_NOTE = "Declined by PivotDesk. Reason: {reason}"
END_CANCELLED_NOTE = (
    "Cancelled by PivotDesk before the start; everything paid goes back. Reason: {reason}"
)
END_ENDED_NOTE = "Ended by PivotDesk: the desks are free from {end:%B %-d, %Y}. Reason: {reason}"
END_REFUND_NOTE = (
    "Ended by PivotDesk: the desks are free from {end:%B %-d, %Y}; ${refund:,.2f} of the rent "
    "paid goes back. Reason: {reason}"
)


@transaction.atomic
def booking_end_by_operator(
    *,
    booking: Booking,
    by: User,
    reason: str,
    end: datetime.date | None = None,
    refund: Decimal = Decimal(0),
) -> Booking:
    """An operator ends ``booking`` for ``reason`` (the guest and the host read it, in the
    history and in one email each): a request is declined; an approved booking that has not
    started is cancelled as its guest would cancel it (``booking_cancelled_before_start``:
    everything paid goes back); a running one ends on ``end`` (its first free day, today by
    default; ``rules.operator_end_check``), its desks free from then and no rent charged
    after it (the end moves, as after notice), a continuation that has not begun cancelled
    with it. ``refund`` dollars of the rent paid go back (a running booking only, at most
    ``selectors.booking_refundable_amount``): ``booking_ended_by_operator`` carries it to
    payments, which refunds after the commit. Locks the listing, then the booking (then its
    continuation). ValidationError, and nothing changed, when not allowed."""
    booking = _lock_booking(booking)
    today = timezone.localdate()
    end = end or today
    how = operator_end_check(booking=booking, user=by, end=end, today=today)
    reason = reason.strip()
    if not reason:
        raise ValidationError(END_REASON_NEEDED)
    if not refund.is_finite() or refund < 0 or refund != refund.quantize(Decimal("0.01")):
        raise ValidationError(END_REFUND_BAD)
    if refund and how != "end":
        raise ValidationError(END_REFUND_NOT_RUNNING)
    if how == "end":
        # Set before the cap is asked: rent paid for a period from the new end on goes back
        # whole by itself (payments), so the cap is the rent of the periods before it.
        booking.end = end
    if refund:
        most = booking_refundable_amount(booking=booking)
        if most is None:
            raise ValidationError(END_REFUND_OFF)
        if refund > most:
            raise ValidationError(END_REFUND_TOO_MUCH.format(most=most))
    booking.ended_by_operator_at = timezone.now()
    booking.end_reason = reason
    if how == "decline":
        note = END_DECLINED_NOTE.format(reason=reason)
        event = _set_status(booking, status=Booking.Status.DECLINED, actor=by, note=note)
    elif how == "cancel":
        note = END_CANCELLED_NOTE.format(reason=reason)
        event = _set_status(booking, status=Booking.Status.CANCELLED, actor=by, note=note)
        booking_cancelled_before_start.send(sender=Booking, booking=booking)
    else:
        continuation = continuation_of(booking)
        booking.notice_given_at = timezone.now()
        template = END_REFUND_NOTE if refund else END_ENDED_NOTE
        note = template.format(end=end, refund=refund, reason=reason)
        event = _set_status(booking, status=Booking.Status.APPROVED, actor=by, note=note)
        if continuation is not None:
            # It starts on the old end, after today: it never begins.
            continuation = Booking.objects.select_for_update().get(pk=continuation.pk)
            if continuation.is_approved:
                _set_status(
                    continuation,
                    status=Booking.Status.CANCELLED,
                    actor=by,
                    note=END_CANCELLED_NOTE.format(reason=reason),
                )
                booking_cancelled_before_start.send(sender=Booking, booking=continuation)
        booking_ended_by_operator.send(sender=Booking, booking=booking, event=event, refund=refund)
    booking_emails_enqueue([_email(booking, EmailKind.ENDED, to, event=event) for to in Recipient])
    if how != "decline":
        desks_freed.send(sender=Booking, listing_id=booking.listing_id)
    return booking


# --- Holds: desks set aside for one guest (a waitlist offer) -------------------------------

HOLD_NOT_YOURS = "This offer is for someone else."
HOLD_NOT_HELD = "This offer has been {status}: the desks are no longer held for you."
HOLD_EXPIRED = "This offer lapsed at {at:%B %-d, %Y, %-I:%M %p}: the desks went back to the line."
HOLD_NOT_DUE = "This hold has not lapsed yet."


def hold_lock(*, hold_id: int) -> Hold:
    """The hold re-read under its row lock. Caller holds its listing's lock first (the lock
    order, docs/decisions/0155: the listing, then the hold, then a waitlist entry) inside
    transaction.atomic."""
    return Hold.objects.select_for_update().get(pk=hold_id)


def _lock_hold(hold: Hold) -> Hold:
    """Lock the listing, then the hold, and return the hold fresh. Inside transaction.atomic."""
    listing = _lock_listing(hold.listing_id)
    locked = hold_lock(hold_id=hold.pk)
    locked.listing = listing
    return locked


def hold_check(*, hold: Hold, guest: User, now: datetime.datetime) -> None:
    """Raise ValidationError unless ``guest`` may take up ``hold`` at ``now``: it is theirs,
    still held, and has not lapsed (the clock starts when they are told)."""
    if hold.guest_id != guest.pk:
        raise ValidationError(HOLD_NOT_YOURS, code="not_yours")
    if not hold.is_held:
        raise ValidationError(
            HOLD_NOT_HELD.format(status=hold.get_status_display().lower()), code="gone"
        )
    if hold.expires_at is not None and now >= hold.expires_at:
        raise ValidationError(
            HOLD_EXPIRED.format(at=timezone.localtime(hold.expires_at)), code="gone"
        )


@transaction.atomic
def hold_create(
    *, listing: Listing, guest: User, desks: int, start: datetime.date, months: int
) -> Hold:
    """Hold ``desks`` desks of ``listing`` for ``guest`` from ``start`` for ``months`` months.

    Locks the listing row and counts free desks under the lock, with the same count a
    request is checked against (``desks_free``, which counts holds): ValidationError when
    they are not free. The hold counts against capacity until it is taken up, declined or
    lapses; its lapse time is set once the guest has been told (``hold_clock_start``).
    """
    listing = _lock_listing(listing.pk)
    free = desks_free(listing=listing, start=start, months=months)
    if desks > free:
        raise ValidationError(desks_not_free_message(free), code="not_free")
    hold = Hold(
        listing=listing,
        guest=guest,
        desks=desks,
        start=start,
        months=months,
        end=add_months(start, months),
    )
    hold.full_clean()
    hold.save()
    public_content_changed(instance=listing)  # its free desks, on its page and in search
    return hold


def hold_clock_start(*, hold: Hold, expires_at: datetime.datetime) -> bool:
    """Set when ``hold`` lapses, once (a repeated call changes nothing); return whether it
    was set now. Called when the guest has been told, not when the hold was made."""
    return bool(
        Hold.objects.filter(pk=hold.pk, status=Hold.Status.HELD, expires_at__isnull=True).update(
            expires_at=expires_at, updated_at=timezone.now()
        )
    )


@transaction.atomic
def hold_book(*, hold: Hold, guest: User, message: str = "") -> Booking:
    """Turn ``hold`` into a request (an approved booking on an instant-book listing) through
    ``booking_request``, in one transaction under the listing's lock, so no one else can take
    the desks in between. A request keeps the hold until the host answers it: approved, the
    booking counts in its place; declined, withdrawn or expired, the desks are free again.
    ValidationError (nothing changed) when ``hold_check`` or the request refuses. Locks the
    guest's row first (``member_lock``), then the listing and the hold."""
    member_lock(user=guest)
    hold = _lock_hold(hold)
    hold_check(hold=hold, guest=guest, now=timezone.now())
    # Not counted while the request is counted against it...
    hold.status = Hold.Status.BOOKED
    hold.full_clean()
    hold.save()
    booking = booking_request(
        guest=guest,
        listing=hold.listing,
        desks=hold.desks,
        start=hold.start,
        months=hold.months,
        message=message,
    )
    hold.booking = booking
    if booking.is_pending:
        # ...then kept for the request until the host answers it (``_hold_settle``), so
        # the desks are not offered to the next guest in line meanwhile.
        hold.status = Hold.Status.HELD
    hold.save(update_fields=["booking", "status", "updated_at"])
    return booking


@transaction.atomic
def hold_release(
    *, hold: Hold, status: str, guest: User | None = None, now: datetime.datetime | None = None
) -> Hold:
    """End ``hold`` without a booking: ``Hold.Status.DECLINED`` by its ``guest``, or
    ``Hold.Status.LAPSED`` once its time is up. Locks the listing, then the hold; its desks
    are free again (``desks_freed`` is sent). ValidationError when not allowed."""
    hold = _lock_hold(hold)
    now = now or timezone.now()
    if status == Hold.Status.DECLINED:
        hold_check(hold=hold, guest=guest, now=now)
    elif status == Hold.Status.LAPSED:
        if not hold.is_held:
            raise ValidationError(
                HOLD_NOT_HELD.format(status=hold.get_status_display().lower()), code="gone"
            )
        if hold.expires_at is None or now < hold.expires_at:
            raise ValidationError(HOLD_NOT_DUE)
    else:
        raise ValueError(f"hold_release cannot set {status!r}")
    hold.status = status
    hold.full_clean()
    hold.save()
    public_content_changed(instance=hold.listing)
    desks_freed.send(sender=Hold, listing_id=hold.listing_id)
    return hold
