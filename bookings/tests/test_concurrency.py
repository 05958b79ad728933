"""Fifty people click at once: approved desks never exceed capacity, on any day.

These run on Postgres only (SQLite serialises every write, so it proves nothing) in real
transactions: each thread has its own connection, and a barrier releases them together.
"""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.models import Booking, add_months
from listings.tests.factories import ListingFactory

from .factories import BookingFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CAPACITY = 10
THREADS = 24
DAY = datetime.timedelta(days=1)


def run_together(calls):
    """Run each call in its own thread, all released by one barrier; return outcomes."""
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            outcomes[i] = call()
        except Exception as exc:  # ValidationError expected; anything else fails below
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    unexpected = [
        o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ValidationError)
    ]
    assert unexpected == []
    return outcomes


def approved_per_day(listing):
    """{day: approved desks} over every day any approved booking covers."""
    approved = list(Booking.objects.approved().filter(listing=listing))
    per_day = {}
    for booking in approved:
        day = booking.start
        while day < booking.end:
            per_day[day] = per_day.get(day, 0) + booking.desks
            day += DAY
    return per_day


def terms(base):
    """Overlapping terms: starts spread over 4 days, 1 or 2 months. All cover the common term
    [base + 3 days, base + 1 month)."""
    return [(base + (i % 4) * DAY, 1 + i % 2) for i in range(THREADS)]


def test_simultaneous_instant_book_requests_never_overbook(postgres_only):
    listing = ListingFactory(desks=CAPACITY, instant_book=True)
    base = timezone.localdate() + 5 * DAY
    guests = [UserFactory() for _ in range(THREADS)]

    def request(guest, start, months):
        return lambda: services.booking_request(
            guest=guest, listing=listing, desks=1, start=start, months=months
        )

    outcomes = run_together(
        [request(g, s, m) for g, (s, m) in zip(guests, terms(base), strict=True)]
    )

    per_day = approved_per_day(listing)
    for day, desks in per_day.items():
        assert desks <= CAPACITY, day
    # Capacity fully used: every day of the common term has exactly CAPACITY desks approved.
    day = base + 3 * DAY
    while day < add_months(base, 1):
        assert per_day[day] == CAPACITY, day
        day += DAY
    booked = [o for o in outcomes if isinstance(o, Booking)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(booked) == CAPACITY and len(refused) == THREADS - CAPACITY
    assert all(b.status == Booking.Status.APPROVED for b in booked)
    assert Booking.objects.filter(listing=listing).count() == CAPACITY


def test_simultaneous_requests_and_approvals_never_overbook(postgres_only):
    """Half the threads are the host approving pending one-desk requests, half are new guests
    asking for desks with bigger needs, all on overlapping terms, all at once."""
    listing = ListingFactory(desks=CAPACITY)
    host = listing.host
    base = timezone.localdate() + 5 * DAY
    half = THREADS // 2
    pending = [
        BookingFactory(listing=listing, desks=1, start=start, months=months)
        for start, months in terms(base)[:half]
    ]
    # One approved booking already holds 2 desks in the middle of the range.
    BookingFactory(listing=listing, desks=2, status="approved", start=base + 10 * DAY)
    approvals = [
        (lambda b=b: services.booking_approve(booking=Booking.objects.get(pk=b.pk), host=host))
        for b in pending
    ]
    guests = [UserFactory() for _ in range(THREADS - half)]
    requests = [
        (
            lambda g=g, s=s, m=m: services.booking_request(
                guest=g, listing=listing, desks=2, start=s, months=m
            )
        )
        for g, (s, m) in zip(guests, terms(base)[half:], strict=True)
    ]
    outcomes = run_together([c for pair in zip(approvals, requests, strict=True) for c in pair])

    per_day = approved_per_day(listing)
    for day, desks in per_day.items():
        assert desks <= CAPACITY, day
    # 12 one-desk approvals on a term where 8 desks are free at the peak: exactly 8 succeed,
    # and the common term is full.
    common_start, common_end = base + 10 * DAY, add_months(base, 1)
    day = common_start
    while day < common_end:
        assert per_day[day] == CAPACITY, day
        day += DAY
    approved_now = Booking.objects.filter(pk__in=[b.pk for b in pending], status="approved")
    assert approved_now.count() == CAPACITY - 2
    # The rest were refused or declined automatically; none is left approvable.
    leftovers = Booking.objects.filter(pk__in=[b.pk for b in pending]).exclude(status="approved")
    assert set(leftovers.values_list("status", flat=True)) <= {"declined", "requested"}
    assert sum(isinstance(o, ValidationError) for o in outcomes) >= 1
