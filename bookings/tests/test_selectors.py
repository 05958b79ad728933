import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings import rules, services
from bookings.models import Booking, add_months
from bookings.selectors import (
    SEARCH_TERM_MONTHS_CAP,
    approved_desks_peak,
    booking_actions,
    desk_change_chain,
    desks_free,
    listing_availability,
    listings_with_free_desks,
    minimum_term_end,
    peak_desks,
)
from listings.models import Listing
from listings.tests.factories import ListingFactory

from .factories import BookingFactory

D = datetime.date


def test_peak_desks_counts_overlaps_and_treats_end_as_free():
    intervals = [
        (D(2027, 1, 1), D(2027, 2, 1), 2),
        (D(2027, 1, 15), D(2027, 3, 1), 3),
        (D(2027, 2, 1), D(2027, 4, 1), 4),  # starts the day the first one ends
    ]
    assert peak_desks(intervals, start=D(2027, 1, 1), end=D(2027, 1, 15)) == 2
    assert peak_desks(intervals, start=D(2027, 1, 1), end=D(2027, 2, 1)) == 5
    assert peak_desks(intervals, start=D(2027, 1, 1), end=D(2027, 5, 1)) == 7
    assert peak_desks(intervals, start=D(2027, 3, 1), end=D(2027, 5, 1)) == 4
    assert peak_desks(intervals, start=D(2027, 4, 1), end=D(2027, 5, 1)) == 0


def _brute_force_free(listing, start, months):
    end = add_months(start, months)
    approved = list(listing.bookings.approved())
    day, worst = start, listing.desks
    while day < end:
        used = sum(b.desks for b in approved if b.start <= day < b.end)
        worst = min(worst, listing.desks - used)
        day += datetime.timedelta(days=1)
    return worst


@pytest.mark.django_db
def test_desks_free_matches_a_day_by_day_count_in_one_query(django_assert_num_queries):
    listing = ListingFactory(desks=10)
    base = timezone.localdate() + datetime.timedelta(days=3)
    for offset, months, desks in [(0, 2, 3), (20, 1, 4), (45, 3, 2), (50, 1, 1), (100, 1, 6)]:
        BookingFactory(
            listing=listing,
            status="approved",
            start=base + datetime.timedelta(days=offset),
            months=months,
            desks=desks,
        )
    BookingFactory(listing=listing, status="requested", start=base, desks=10)
    for offset in [0, 10, 30, 44, 60, 90, 130]:
        start = base + datetime.timedelta(days=offset)
        for months in (1, 2, 4):
            with django_assert_num_queries(1):
                free = desks_free(listing=listing, start=start, months=months)
            assert free == _brute_force_free(listing, start, months), (offset, months)


@pytest.mark.django_db
def test_listing_availability_is_one_query_for_twelve_months(django_assert_num_queries):
    today = D(2027, 3, 10)
    listing = ListingFactory(desks=8, available_from=D(2027, 1, 1))
    BookingFactory(listing=listing, status="approved", start=D(2027, 4, 20), months=2, desks=5)
    BookingFactory(listing=listing, status="approved", start=D(2027, 5, 1), months=1, desks=2)
    BookingFactory(listing=listing, status="requested", start=D(2027, 3, 12), months=1, desks=8)
    with django_assert_num_queries(1):
        rows = listing_availability(listing=listing, today=today)
    assert len(rows) == 12
    assert rows[:5] == [
        (D(2027, 3, 1), 8),
        (D(2027, 4, 1), 3),
        (D(2027, 5, 1), 1),
        (D(2027, 6, 1), 3),
        (D(2027, 7, 1), 8),
    ]
    assert rows[-1] == (D(2028, 2, 1), 8)


@pytest.mark.django_db
def test_listing_availability_marks_months_before_available_from_not_yet_open():
    today = D(2027, 3, 10)
    listing = ListingFactory(desks=4, available_from=D(2027, 5, 15))
    BookingFactory(listing=listing, status="approved", start=D(2027, 6, 1), months=1, desks=4)
    rows = dict(listing_availability(listing=listing, today=today))
    assert rows[D(2027, 3, 1)] is None and rows[D(2027, 4, 1)] is None  # not yet open
    assert rows[D(2027, 5, 1)] == 4  # open from the 15th
    assert rows[D(2027, 6, 1)] == 0  # open, and full


@pytest.mark.django_db
def test_listing_availability_never_shows_fewer_than_zero_desks():
    # Approved bookings holding more than the capacity (a legacy row, or a capacity cut made
    # outside the admin) read as full, not as "-2 desks free".
    today = D(2027, 3, 10)
    listing = ListingFactory(desks=5, available_from=D(2027, 1, 1))
    BookingFactory(listing=listing, status="approved", start=D(2027, 4, 1), months=1, desks=5)
    Listing.objects.filter(pk=listing.pk).update(desks=3)
    listing.refresh_from_db()
    rows = dict(listing_availability(listing=listing, today=today))
    assert rows[D(2027, 4, 1)] == 0
    assert rows[D(2027, 3, 1)] == 3


@pytest.mark.django_db
def test_listing_page_says_when_a_space_opens_instead_of_full(client):
    opens = add_months(timezone.localdate().replace(day=1), 3) + datetime.timedelta(days=14)
    listing = ListingFactory(desks=3, available_from=opens)
    html = client.get(listing.get_absolute_url()).content.decode()
    table = html[html.index('<table class="availability-table">') : html.index("</table>")]
    rows = table.split("<tr>")[2:]  # after the header row
    assert len(rows) == 12
    label = f"Opens {opens:%B} {opens.day}, {opens.year}"
    assert [label in row for row in rows[:4]] == [True, True, True, False]
    assert "<td>3</td>" in rows[3]  # the month it opens in: bookable from the 15th
    assert "Full" not in table


@pytest.mark.django_db
def test_approved_desks_peak_is_the_least_capacity_from_a_day_on(django_assert_num_queries):
    listing = ListingFactory(desks=10)
    approved = {"listing": listing, "status": "approved"}
    BookingFactory(**approved, desks=5, start=D(2027, 1, 15))  # to Feb 15
    BookingFactory(**approved, desks=2, start=D(2027, 3, 1))  # to Apr 1
    BookingFactory(**approved, desks=2, start=D(2027, 3, 20), months=2)  # to May 20
    BookingFactory(**approved, desks=1, start=D(2027, 4, 1))  # the day one ends
    BookingFactory(listing=listing, status="requested", desks=9, start=D(2027, 4, 1))
    BookingFactory(listing=listing, status="cancelled", desks=9, start=D(2027, 3, 12))
    with django_assert_num_queries(1):
        assert approved_desks_peak(listing=listing, start=D(2027, 3, 10)) == (4, D(2027, 3, 20))
    assert approved_desks_peak(listing=listing, start=D(2027, 2, 1)) == (5, D(2027, 2, 1))
    assert approved_desks_peak(listing=listing, start=D(2027, 4, 1)) == (3, D(2027, 4, 1))
    assert approved_desks_peak(listing=listing, start=D(2027, 5, 20)) == (0, None)


@pytest.mark.django_db
def test_listings_with_free_desks_counts_approved_bookings(django_assert_num_queries):
    move_in = timezone.localdate() + datetime.timedelta(days=10)
    full_later = ListingFactory(desks=4, min_term_months=3)
    # Full from 40 days after move-in: inside a 3-month minimum term.
    BookingFactory(
        listing=full_later,
        status="approved",
        desks=4,
        start=move_in + datetime.timedelta(days=40),
    )
    full_after_one_month = ListingFactory(desks=4, min_term_months=1)
    BookingFactory(
        listing=full_after_one_month,
        status="approved",
        desks=4,
        start=add_months(move_in, 1),  # the day a one-month term ends
    )
    half_taken = ListingFactory(desks=4)
    BookingFactory(listing=half_taken, status="approved", desks=2, start=move_in, months=2)
    BookingFactory(
        listing=half_taken,
        status="approved",
        desks=1,
        start=move_in - datetime.timedelta(days=3),
    )
    only_requests = ListingFactory(desks=4)
    BookingFactory(listing=only_requests, status="requested", desks=4, start=move_in)
    small = ListingFactory(desks=1)

    def found(desks):
        qs = listings_with_free_desks(Listing.objects.all(), desks=desks, move_in=move_in)
        with django_assert_num_queries(1):
            return set(qs.values_list("pk", flat=True))

    assert found(1) == {full_after_one_month.pk, half_taken.pk, only_requests.pk, small.pk}
    assert found(2) == {full_after_one_month.pk, only_requests.pk}
    assert found(4) == {full_after_one_month.pk, only_requests.pk}
    assert found(5) == set()
    # No desks / no date: at least one desk free from today.
    from_today = listings_with_free_desks(Listing.objects.all(), desks=None, move_in=None)
    assert set(from_today) == {full_after_one_month, half_taken, only_requests, small}


@pytest.mark.django_db
def test_listings_with_free_desks_agrees_with_a_day_by_day_count():
    # The search's check is hand-written SQL (ORM-built it cost 4-6 ms of Python a search):
    # random bookings of every status, checked against counting desks day by day.
    import random

    rng = random.Random(7)
    today = timezone.localdate()
    # Bookings starting on the 1st end on a 1st: one ends the day the next starts.
    firsts = [add_months(today.replace(day=1), n) for n in range(1, 5)]
    listings = [
        ListingFactory(desks=rng.randint(1, 6), min_term_months=rng.randint(1, 4))
        for _ in range(10)
    ]
    # Back to back: 2 of 3 desks taken for a month, then 2 again from the day it ends.
    handoff = ListingFactory(desks=3, min_term_months=3)
    for start in firsts[:2]:
        BookingFactory(listing=handoff, status="approved", start=start, desks=2)
    for listing in listings:
        for _ in range(rng.randint(0, 5)):
            BookingFactory(
                listing=listing,
                status=rng.choice(["approved", "approved", "requested", "declined"]),
                start=rng.choice(
                    [today + datetime.timedelta(days=rng.randint(-40, 120)), rng.choice(firsts)]
                ),
                months=rng.randint(1, 3),
                desks=rng.randint(1, 3),
            )
    checked = 0
    for move_in in [today + datetime.timedelta(days=n) for n in (0, 6, 31, 59, 90)] + firsts:
        for desks in (1, 2, 3, 5):
            expected = {
                listing.pk
                for listing in [*listings, handoff]
                if listing.desks >= desks
                and _brute_force_free(listing, move_in, listing.min_term_months) >= desks
            }
            qs = listings_with_free_desks(Listing.objects.all(), desks=desks, move_in=move_in)
            assert set(qs.values_list("pk", flat=True)) == expected, (move_in, desks)
            checked += len(expected)
    assert 0 < checked < 9 * 4 * (len(listings) + 1)  # some found, some not


@pytest.mark.django_db
def test_listings_with_free_desks_survives_absurd_dates():
    listing = ListingFactory()
    qs = Listing.objects.all()
    assert list(listings_with_free_desks(qs, desks=1, move_in=D(9999, 12, 31))) == []
    assert list(listings_with_free_desks(qs, desks=10**6, move_in=None)) == []
    assert list(listings_with_free_desks(qs, desks=1, move_in=D(2001, 1, 1))) == [listing]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "move_in",
    [D(2027, 1, 31), D(2027, 8, 31), D(2027, 12, 31), D(2028, 1, 29), D(2027, 11, 30)],
)
def test_the_database_ends_a_term_where_add_months_does(move_in):
    # The search computes each listing's term end in SQL (a function on Postgres, a CASE
    # elsewhere); it must agree with add_months, the 31st ending on a shorter month's last day.
    terms = [1, 2, 3, 6, 11, 12, 13, 23, 24, 25, 36, 120]
    for term in terms:
        ListingFactory(min_term_months=term)
    ends = dict(
        Listing.objects.alias(end=minimum_term_end(move_in))
        .annotate(term_end=F("end"))
        .values_list("min_term_months", "term_end")
    )
    assert ends == {term: add_months(move_in, min(term, SEARCH_TERM_MONTHS_CAP)) for term in terms}


class _Undo(Exception):
    """Raised to roll a service call back after looking at its outcome."""


# The messages of bookings.rules, their {placeholders} matching anything.
RULE_REFUSALS = [
    re.compile(".*".join(re.escape(part) for part in re.split(r"\{\w+\}", template)))
    for template in (
        rules.BOOKING_BAD_TRANSITION,
        rules.BOOKING_NOT_YOUR_LISTING,
        rules.BOOKING_NOT_YOUR_BOOKING,
        rules.BOOKING_ALREADY_ENDED,
        rules.BOOKING_NOTICE_ALREADY_GIVEN,
    )
]


def _service_allows(call) -> str | None:
    """Run a booking service and undo it: "done" when it wrote, "refused" when a rule of
    bookings.rules refused it, None when it refused for a reason of the moment (capacity,
    dates, an unpublished listing)."""
    outcome = None
    try:
        with transaction.atomic():
            try:
                call()
            except ValidationError as exc:
                message = " ".join(exc.messages)
                refused = any(rule.fullmatch(message) for rule in RULE_REFUSALS)
                outcome = "refused" if refused else None
            else:
                outcome = "done"
            raise _Undo
    except _Undo:
        pass
    return outcome


@pytest.mark.parametrize("status", [s.value for s in Booking.Status])
@pytest.mark.parametrize("offset_days", [-60, -5, 10], ids=["ended", "running", "ahead"])
@pytest.mark.parametrize("notice", [False, True], ids=["", "notice-given"])
def test_booking_actions_offer_exactly_what_the_services_allow(db, status, offset_days, notice):
    """The buttons (booking_actions) and the services ask the same rules: an action is
    offered to a user exactly when the service would not refuse it by those rules."""
    today = timezone.localdate()
    booking = BookingFactory(
        listing=ListingFactory(desks=5),
        status=status,
        start=today + datetime.timedelta(days=offset_days),
        months=1,
        notice_given_at=timezone.now() if notice else None,
    )
    host, guest, stranger = booking.listing.host, booking.guest, UserFactory()
    for user in (host, guest, stranger):
        offered = booking_actions(booking=booking, user=user, today=today)
        for action, call in (
            ("approve", lambda u=user: services.booking_approve(booking=booking, host=u)),
            ("decline", lambda u=user: services.booking_decline(booking=booking, host=u)),
        ):
            assert (action in offered) == (_service_allows(call) != "refused"), (action, user)
        exit_offered = offered & {"cancel", "notice"}
        allowed = _service_allows(lambda u=user: services.booking_cancel(booking=booking, by=u))
        assert bool(exit_offered) == (allowed != "refused"), (exit_offered, user)


def _changed(links: int, **given) -> list[Booking]:
    """An approved booking whose desks changed ``links - 1`` times, month after month: each
    booking continues the one before (``Booking.continues``), as approving a change makes."""
    start = timezone.localdate() - datetime.timedelta(days=40)
    chain = [BookingFactory(status="approved", start=start, months=1, **given)]
    for n in range(1, links):
        chain.append(
            BookingFactory(
                listing=chain[0].listing,
                guest=chain[0].guest,
                status="approved",
                continues=chain[-1],
                desks=n + 1,
                start=add_months(start, n),
                months=1,
            )
        )
    return chain


@pytest.mark.django_db
def test_a_desk_change_chain_costs_the_same_queries_however_long(django_assert_num_queries):
    short = _changed(2)
    long = _changed(7)
    first = long[0]
    # Not in it: the same guest's other booking of that space, another guest's chain there.
    BookingFactory(listing=first.listing, guest=first.guest, start=add_months(first.start, 9))
    _changed(3, listing=first.listing)
    with CaptureQueriesContext(connection) as two:
        assert list(desk_change_chain(booking=short[1])) == short
    for link in (first, long[3], long[-1]):
        with django_assert_num_queries(len(two)):
            assert list(desk_change_chain(booking=link)) == long
    lone = BookingFactory()
    with django_assert_num_queries(len(two)):
        assert list(desk_change_chain(booking=lone)) == [lone]
