"""Reads for bookings. Capacity is computed from the approved bookings' boundary dates (a sweep
over start/end events), never one query per day, and the pages' selectors own their
select_related/prefetch so they run a constant number of queries."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    F,
    Func,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Least
from django.utils import timezone

from accounts.models import User
from listings.models import Listing

from .models import Booking, BookingChange, BookingEvent, Hold, Message, Review, add_months
from .rules import (
    change_check,
    guest_exit,
    host_answer_check,
    move_in_range,
    review_check,
    team_move_check,
)
from .signals import booking_refundable

__all__ = ["move_in_range"]  # a rule listings' search asks too

Interval = tuple[datetime.date, datetime.date, int]  # (start, end exclusive, desks)


def peak_desks(intervals: Iterable[Interval], *, start: datetime.date, end: datetime.date) -> int:
    """The most desks the intervals hold on any single day of [start, end)."""
    return peak_desks_day(intervals, start=start, end=end)[0]


def peak_desks_day(
    intervals: Iterable[Interval], *, start: datetime.date, end: datetime.date
) -> tuple[int, datetime.date | None]:
    """The most desks the intervals hold on any single day of [start, end), and the first day
    they do (None when they hold none)."""
    events = []
    for b_start, b_end, desks in intervals:
        lo, hi = max(b_start, start), min(b_end, end)
        if lo < hi:
            events.append((lo, desks))
            events.append((hi, -desks))
    # Ends sort before starts on the same day: the end day is already free.
    events.sort(key=lambda event: (event[0], event[1]))
    peak, peak_day, used = 0, None, 0
    for day, delta in events:
        used += delta
        if used > peak:
            peak, peak_day = used, day
    return peak, peak_day


def approved_intervals(
    *, listing: Listing, start: datetime.date, end: datetime.date
) -> list[Interval]:
    """(start, end, desks) of what takes desks on ``listing`` over [start, end): its approved
    bookings and its active holds (waitlist offers), which count alike. One query."""
    booked = (
        Booking.objects.approved()
        .filter(listing_id=listing.pk)
        .overlapping(start, end)
        .values_list("start", "end", "desks")
    )
    held = (
        Hold.objects.active()
        .filter(listing_id=listing.pk)
        .overlapping(start, end)
        .values_list("start", "end", "desks")
    )
    return list(booked.order_by().union(held.order_by(), all=True).order_by())


def approved_bookings_running(*, listing: Listing, on: datetime.date) -> list[Booking]:
    """The approved bookings on ``listing`` that have not ended by ``on``, earliest first.
    One query. For checks of a listing's terms against what guests already hold."""
    return list(
        Booking.objects.approved()
        .filter(listing_id=listing.pk, end__gt=on)
        .order_by("start", "pk")
        .only("pk", "start", "end", "months", "desks")
    )


def withdrawal_preview(*, listings: Iterable[Listing]) -> dict[int, dict[str, list[Booking]]]:
    """For each listing: the pending requests archiving it would decline and the approved
    bookings whose guests would be told (not ended), with their guests. Two queries."""
    ids = [listing.pk for listing in listings]
    preview: dict[int, dict[str, list[Booking]]] = {pk: {"declined": [], "told": []} for pk in ids}
    today = timezone.localdate()
    for booking in (
        Booking.objects.filter(listing_id__in=ids)
        .not_over(today)
        .select_related("guest")
        .order_by("start", "pk")
    ):
        kind = "declined" if booking.is_pending else "told"
        preview[booking.listing_id][kind].append(booking)
    return preview


def desks_free(*, listing: Listing, start: datetime.date, months: int) -> int:
    """The fewest desks free on any day of the term: capacity minus the approved and held
    desks.

    One query. Callers that act on the answer must hold a row lock on the listing
    (bookings.services does), or the answer may be stale by the time they write.
    """
    return desks_free_between(listing=listing, start=start, end=add_months(start, months))


def desks_free_between(*, listing: Listing, start: datetime.date, end: datetime.date) -> int:
    """The fewest desks free on any day of [start, end): capacity minus the approved desks.
    One query; the same locking contract as ``desks_free``."""
    intervals = approved_intervals(listing=listing, start=start, end=end)
    return max(listing.desks - peak_desks(intervals, start=start, end=end), 0)


def approved_desks_peak(
    *, listing: Listing, start: datetime.date
) -> tuple[int, datetime.date | None]:
    """The most desks approved bookings and active holds take on ``listing`` on any single
    day from ``start`` on, and the first such day (None when none are). A booking that has
    ended by ``start`` does not count. One query.

    The least capacity the listing can have. Callers that act on the answer (a capacity
    change) must hold a row lock on the listing, as bookings.services does for approvals.
    """
    intervals = approved_intervals(listing=listing, start=start, end=datetime.date.max)
    return peak_desks_day(intervals, start=start, end=datetime.date.max)


def listing_availability(
    *, listing: Listing, months: int = 12, today: datetime.date | None = None
) -> list[tuple[datetime.date, int | None]]:
    """(first day of month, fewest desks free that month) for this month and the next ones.

    Days already past are not bookable. A month that ends before ``listing.available_from``
    has None instead of a number: not yet open, which is not the same as full. Never
    negative, even where approved bookings hold more than a lowered capacity. One query.
    """
    today = today or timezone.localdate()
    first = today.replace(day=1)
    bounds = [add_months(first, i) for i in range(months + 1)]
    bookable_from = max(today, listing.available_from)
    intervals = approved_intervals(listing=listing, start=bookable_from, end=bounds[-1])
    rows = []
    for month_start, month_end in zip(bounds, bounds[1:], strict=False):
        lo = max(month_start, bookable_from)
        if lo >= month_end:
            rows.append((month_start, None))
            continue
        used = peak_desks(intervals, start=lo, end=month_end)
        rows.append((month_start, max(listing.desks - used, 0)))
    return rows


# The search asks for a move-in date; each listing's term is its own minimum term. Listings
# with longer minimums are checked over this many months (no one books further ahead).
SEARCH_TERM_MONTHS_CAP = 24


class _AddMonths(Func):
    """``date + months`` as a date, in Postgres: month arithmetic on an interval ends the 31st
    on a shorter month's last day, as ``add_months`` does."""

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        (day, day_params), (months, months_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return (
            f"(({day})::date + make_interval(months => ({months})::integer))::date",
            (*day_params, *months_params),
        )


def minimum_term_end(move_in: datetime.date) -> Func | Case:
    """The end of each listing's minimum term (capped) from ``move_in``, as an expression.

    On Postgres one function call; elsewhere (SQLite, whose date modifiers roll the 31st
    over into the next month) a CASE over every possible term, which cost a search with a
    desks filter ~2 ms of Python to build and compile.
    """
    if connection.vendor == "postgresql":
        term = Least(F("min_term_months"), Value(SEARCH_TERM_MONTHS_CAP))
        return _AddMonths(Value(move_in, output_field=DateField()), term)
    return Case(
        *[
            When(min_term_months=n, then=Value(add_months(move_in, n)))
            for n in range(1, SEARCH_TERM_MONTHS_CAP)
        ],
        default=Value(add_months(move_in, SEARCH_TERM_MONTHS_CAP)),
    )


class _NoShortage(Func):
    """True where no day of the listing's term (``move_in`` to ``term_end``) has fewer than
    ``desks`` desks free after the approved bookings and the active holds.

    The peak of overlapping bookings over a term is reached on the term's first day or on the
    first day of one of the bookings, so checking those days is enough: for each approved
    booking (or hold) overlapping the term, the desks taken on max(its start, move_in) must
    leave room. Bookings and holds are read as one table (``UNION ALL``), the rows
    ``approved_intervals`` reads for one listing.

    Written as SQL: the same correlated subqueries built with the ORM (outer references,
    aliases, a Subquery inside a Coalesce) cost 4-6 ms of Python per search to build and
    compile; this costs a few hundredths of that. Column and table names come from the model.
    """

    output_field = BooleanField()
    taken_template = (
        "(SELECT {listing}, {start}, {end}, {desks} FROM {table} WHERE {status} = %s"
        " UNION ALL SELECT {h_listing}, {h_start}, {h_end}, {h_desks} FROM {h_table}"
        " WHERE {h_status} = %s)"
    )
    sql_template = (
        "NOT EXISTS (SELECT 1 FROM {taken} pd_b"
        " WHERE pd_b.{listing} = {pk}"
        " AND pd_b.{start} < {term_end} AND pd_b.{end} > %s"
        " AND (SELECT COALESCE(SUM(pd_u.{desks}), 0) FROM {taken} pd_u"
        " WHERE pd_u.{listing} = pd_b.{listing}"
        " AND pd_u.{start} <= {greatest}(pd_b.{start}, %s)"
        " AND pd_u.{end} > {greatest}(pd_b.{start}, %s))"
        " > {capacity} - %s)"
    )

    def __init__(self, pk, listing_desks, term_end, *, desks: int, move_in: datetime.date):
        super().__init__(pk, listing_desks, term_end)
        self.desks, self.move_in = desks, move_in

    def as_sql(self, compiler, connection, **extra_context):
        (pk, pk_params), (capacity, capacity_params), (term_end, term_end_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        fields = ("listing", "status", "start", "end", "desks")
        names = {
            name: connection.ops.quote_name(Booking._meta.get_field(name).column) for name in fields
        }
        # The derived table's columns are named after the booking's; the hold's have the
        # same names today, but each is read from its own model.
        hold_names = {
            f"h_{name}": connection.ops.quote_name(Hold._meta.get_field(name).column)
            for name in fields
        }
        taken = self.taken_template.format(
            **names,
            **hold_names,
            table=connection.ops.quote_name(Booking._meta.db_table),
            h_table=connection.ops.quote_name(Hold._meta.db_table),
        )
        sql = self.sql_template.format(
            **names,
            taken=taken,
            # SQLite's two-argument MAX is its GREATEST.
            greatest="GREATEST" if connection.vendor == "postgresql" else "MAX",
            pk=pk,
            term_end=term_end,
            capacity=capacity,
        )
        move_in = connection.ops.adapt_datefield_value(self.move_in)
        taken_params = (Booking.Status.APPROVED.value, Hold.Status.HELD.value)
        params = (
            *taken_params,
            *pk_params,
            *term_end_params,
            move_in,
            *taken_params,
            move_in,
            move_in,
            *capacity_params,
            self.desks,
        )
        return sql, params


def listings_with_free_desks(
    queryset: QuerySet[Listing], *, desks: int | None, move_in: datetime.date | None
) -> QuerySet[Listing]:
    """Listings with at least ``desks`` desks free on every day from ``move_in`` for the
    listing's minimum term (capped), counting approved bookings and active holds. Adds no
    query: the check is a correlated subquery (``_NoShortage``).
    """
    desks = max(desks or 1, 1)
    today = timezone.localdate()
    move_in = max(move_in or today, today)
    if move_in.year > today.year + 5:
        # Far beyond what anyone can book (and beyond date arithmetic near year 9999).
        return queryset.none()
    return queryset.filter(desks__gte=desks).filter(
        _NoShortage(F("pk"), F("desks"), minimum_term_end(move_in), desks=desks, move_in=move_in)
    )


def bookings_for_user(*, user: User) -> QuerySet[Booking]:
    """A guest's bookings and, for a host, the bookings on their spaces; newest first."""
    return (
        Booking.objects.visible_to(user)
        .select_related("listing", "listing__city", "listing__host", "guest", "team")
        .order_by("-created_at", "-id")
    )


def guest_bookings_on(*, user: User | AnonymousUser, listing: Listing) -> list[Booking]:
    """``user``'s requests and approved bookings on ``listing`` that have not ended, soonest
    first: the listing page reminds a guest of them (one query; none for a visitor)."""
    if not user.is_authenticated:
        return []
    return list(
        Booking.objects.filter(
            guest=user,
            listing=listing,
            status__in=[Booking.Status.REQUESTED, Booking.Status.APPROVED],
            end__gt=timezone.localdate(),
        ).order_by("start", "id")
    )


def pending_requests_for_host(*, host: User) -> QuerySet[Booking]:
    """Requests on ``host``'s spaces waiting for an answer, the one that expires first first."""
    return (
        Booking.objects.pending()
        .filter(listing__host=host)
        .select_related("listing", "guest")
        .order_by("created_at", "id")
    )


def desk_change_chain(*, booking: Booking) -> QuerySet[Booking]:
    """``booking`` and the bookings linked to it by approved desk changes (the ones it
    continues and the ones that continue it, ``Booking.continues``), by id. A writer that
    acts on the chain holds the listing's lock (a change is approved under it, so the chain
    cannot grow meanwhile) and adds ``select_for_update()``.

    Two queries however long the chain: the links are read in one (a continuation copies
    its booking's listing and guest, and neither ever changes, so every link of the chain is
    among that guest's continuations on that listing) and walked here."""
    links = dict(
        Booking.objects.filter(
            listing_id=booking.listing_id, guest_id=booking.guest_id, continues__isnull=False
        ).values_list("pk", "continues_id")
    )
    continued_by = {before: after for after, before in links.items()}
    ids = {booking.pk}
    before = booking.pk
    while (before := links.get(before)) is not None and before not in ids:
        ids.add(before)
    after = booking.pk
    while (after := continued_by.get(after)) is not None and after not in ids:
        ids.add(after)
    return Booking.objects.filter(pk__in=ids).order_by("pk")


def booking_for_viewer(*, user: User, pk: int) -> QuerySet[Booking]:
    """The booking ``pk`` if ``user`` is its guest or its listing's host (else empty), with its
    thread and history."""
    return (
        Booking.objects.visible_to(user)
        .filter(pk=pk)
        .select_related("listing", "listing__city", "listing__host", "guest")
        .select_related("team", "continues")
        .prefetch_related(
            Prefetch("messages", queryset=Message.objects.select_related("author")),
            Prefetch("events", queryset=BookingEvent.objects.select_related("actor")),
            Prefetch("changes", queryset=BookingChange.objects.select_related("requested_by")),
        )
    )


def booking_actions(
    *, booking: Booking, user: User, today: datetime.date | None = None
) -> set[str]:
    """What ``user`` may do to ``booking`` now: approve/decline (host), cancel/notice, change,
    review and make it a team booking ("team") (guest).

    Asks bookings.rules, the checks bookings.services makes before it writes. The service may
    still refuse what depends on the moment it holds the lock (free desks, a listing
    unpublished since).
    """
    today = today or timezone.localdate()
    actions = set()
    try:
        host_answer_check(booking=booking, user=user, answer="approved")
    except ValidationError:
        pass
    else:
        actions |= {"approve", "decline"}
    try:
        actions.add(guest_exit(booking=booking, user=user, today=today))
    except ValidationError:
        pass
    try:
        review_check(booking=booking, user=user, today=today)
    except ValidationError:
        pass
    else:
        actions.add("review")
    try:
        change_check(booking=booking, user=user, today=today)
    except ValidationError:
        pass
    else:
        actions.add("change")
    try:
        team_move_check(booking=booking, user=user, today=today)
    except ValidationError:
        pass
    else:
        actions.add("team")  # the page offers it when the maker has an open team
    return actions


# --- Reviews -----------------------------------------------------------------------------

REVIEWS_PER_PAGE = 10


def listing_reviews(*, listing: Listing, page: str | None) -> Page:
    """The shown reviews of ``listing``, newest first, page ``page`` (garbage: the first, past
    the end: the last). One query; none for a listing without reviews:
    the count is the listing's own ``rating_count`` (kept by bookings.reviews)."""
    reviews = Review.objects.shown().filter(listing_id=listing.pk).order_by("-created_at", "-id")
    paginator = Paginator(reviews, REVIEWS_PER_PAGE)
    paginator.count = listing.rating_count  # Paginator would otherwise ask the database
    if not listing.rating_count:
        return paginator.page(1)  # allow_empty_first_page: no query
    return paginator.get_page((page or "")[:12])


def guest_booking_to_review(*, user: User, pk: int, city: str, slug: str) -> QuerySet[Booking]:
    """``user``'s booking ``pk`` on the listing at /spaces/<city>/<slug>/ (else empty)."""
    return Booking.objects.filter(
        pk=pk, guest_id=user.pk, listing__city__slug=city, listing__slug=slug
    ).select_related("listing", "listing__city")


def host_reviews(*, host: User) -> QuerySet[Review]:
    """Reviews of ``host``'s spaces (hidden ones too: the host sees what was hidden)."""
    return Review.objects.filter(listing__host=host).select_related(
        "listing", "listing__city", "guest", "booking"
    )


def team_bookings_not_over(*, team_id: int, today: datetime.date) -> list[Booking]:
    """The team's requests waiting for an answer and approved bookings that have not ended,
    soonest first, with their listings: what stops a team from closing. One query."""
    return list(
        Booking.objects.filter(team_id=team_id)
        .not_over(today)
        .select_related("listing")
        .order_by("start", "pk")
    )


def team_close_blockers(sender, *, team, today: datetime.date, **kwargs) -> list[str]:
    """``teams.signals.team_closing`` receiver: the team's bookings that stop it closing, in
    words ("request #12 at Pearl Loft (waiting for the host)")."""
    phrases = []
    for booking in team_bookings_not_over(team_id=team.pk, today=today):
        what = "request" if booking.is_pending else "booking"
        when = "waiting for the host" if booking.is_pending else f"ends {booking.end:%B %-d, %Y}"
        phrases.append(f"{what} #{booking.pk} at {booking.listing.title} ({when})")
    return phrases


def pending_changes_for_host(*, host: User) -> QuerySet[BookingChange]:
    """Desk-change requests on ``host``'s spaces waiting for an answer, soonest first."""
    return (
        BookingChange.objects.filter(
            status=BookingChange.Status.REQUESTED, booking__listing__host=host
        )
        .select_related("booking", "booking__listing", "booking__team", "requested_by")
        .order_by("effective_from", "created_at", "id")
    )


ACCOUNT_CLOSE_GUEST_BOOKING = (
    "Your booking #{pk} at {title} runs through {last:%B %-d, %Y}: you can close your account "
    "once it has ended."
)
ACCOUNT_CLOSE_GUEST_REQUEST = (
    "Your request #{pk} for {title} is waiting for the host's answer: cancel it first."
)
ACCOUNT_CLOSE_HOST_BOOKING = (
    "Your space {title} is booked (booking #{pk}) through {last:%B %-d, %Y}: you can close "
    "your account once its bookings have ended."
)
ACCOUNT_CLOSE_HOST_REQUEST = (
    "Your space {title} has a request (#{pk}) waiting for your answer: answer it first."
)


def account_close_blockers(sender, *, user: User, **kwargs) -> list[str]:
    """Receiver of ``accounts.signals.account_closing``: the requests and bookings, as guest
    or on ``user``'s spaces, that have not ended. One query."""
    today = timezone.localdate()
    reasons = []
    for booking in (
        Booking.objects.filter(Q(guest_id=user.pk) | Q(listing__host_id=user.pk))
        .filter(status__in=[Booking.Status.REQUESTED, Booking.Status.APPROVED], end__gt=today)
        .select_related("listing")
        .only("pk", "guest_id", "status", "end", "listing__title", "listing__host_id")
        .order_by("start", "pk")
    ):
        as_guest = booking.guest_id == user.pk
        if booking.is_pending:
            message = ACCOUNT_CLOSE_GUEST_REQUEST if as_guest else ACCOUNT_CLOSE_HOST_REQUEST
        else:
            message = ACCOUNT_CLOSE_GUEST_BOOKING if as_guest else ACCOUNT_CLOSE_HOST_BOOKING
        reasons.append(
            message.format(
                pk=booking.pk,
                title=booking.listing.title,
                last=booking.end - datetime.timedelta(days=1),
            )
        )
    return reasons


def booking_refundable_amount(*, booking: Booking) -> Decimal | None:
    """How much of ``booking``'s paid rent an operator ending it may give back (dollars), as
    the apps that took it answer ``booking_refundable``; None when none refunds (payments
    without Stripe keys): then no refund is offered."""
    answers = booking_refundable.send(sender=Booking, booking=booking)
    amounts = [amount for _receiver, amount in answers if amount is not None]
    return sum(amounts, Decimal(0)) if amounts else None
