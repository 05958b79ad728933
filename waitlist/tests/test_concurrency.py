"""An offer's hold and direct requests racing for the last desks: never overbooked.

Postgres only (SQLite serialises every write, so it proves nothing), in real transactions:
each thread has its own connection and a barrier releases them together.
"""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.models import Booking, Hold
from bookings.tests.factories import BookingFactory
from bookings.tests.test_concurrency import run_together
from listings.tests.factories import ListingFactory
from waitlist import services
from waitlist.models import WaitlistEntry

from .factories import WaitlistEntryFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CAPACITY = 4
ROUNDS = 4
DAY = datetime.timedelta(days=1)


def request(listing, start):
    guest = UserFactory()
    return lambda: booking_services.booking_request(
        guest=guest, listing=listing, desks=2, start=start, months=1
    )


def approve(booking, host):
    return lambda: booking_services.booking_approve(
        booking=Booking.objects.get(pk=booking.pk), host=host
    )


def taken_per_day(listing):
    """{day: desks approved or held} over every day any of them covers."""
    per_day = {}
    rows = [
        *Booking.objects.approved().filter(listing=listing).values_list("start", "end", "desks"),
        *Hold.objects.active().filter(listing=listing).values_list("start", "end", "desks"),
    ]
    for start, end, desks in rows:
        day = start
        while day < end:
            per_day[day] = per_day.get(day, 0) + desks
            day += DAY
    return per_day


@pytest.mark.parametrize("instant_book", [True, False])
def test_an_offer_and_requests_racing_for_the_last_desks_never_overbook(
    postgres_only, instant_book
):
    start = timezone.localdate() + 10 * DAY
    for _round in range(ROUNDS):
        listing = ListingFactory(desks=CAPACITY, instant_book=instant_book)
        host = listing.host
        # Two of four desks are taken for a year; the line wants the other two.
        BookingFactory(
            listing=listing, desks=2, status="approved", start=start - 20 * DAY, months=12
        )
        entry = WaitlistEntryFactory(listing=listing, desks=2, start=start, months=2)
        pending = [
            BookingFactory(listing=listing, desks=2, start=start + i * DAY, months=1)
            for i in range(3)
        ]
        calls = [lambda lid=listing.pk: services.offers_make(listing_id=lid)]
        calls += [request(listing, start + i * DAY) for i in range(5)]
        calls += [approve(booking, host) for booking in pending]
        outcomes = run_together(calls)

        per_day = taken_per_day(listing)
        assert max(per_day.values()) == CAPACITY  # the last desks went to someone...
        assert all(desks <= CAPACITY for desks in per_day.values())  # ...and only once
        entry.refresh_from_db()
        won_by_offer = entry.status == WaitlistEntry.Status.OFFERED
        granted = [o for o in outcomes if isinstance(o, Booking) and o.is_approved]
        assert won_by_offer == (not granted), (entry.status, granted)


def test_taking_up_an_offer_while_others_request_the_desks_never_overbooks(postgres_only):
    start = timezone.localdate() + 10 * DAY
    listing = ListingFactory(desks=CAPACITY, instant_book=True)
    BookingFactory(listing=listing, desks=2, status="approved", start=start - 20 * DAY, months=12)
    entry = WaitlistEntryFactory(listing=listing, desks=2, start=start, months=1)
    [entry] = services.offers_make(listing_id=listing.pk)
    calls = [lambda: services.offer_accept(entry=entry, guest=entry.guest)]
    calls += [request(listing, start) for _ in range(6)]
    outcomes = run_together(calls)
    assert isinstance(outcomes[0], Booking) and outcomes[0].is_approved
    assert all(isinstance(o, ValidationError) for o in outcomes[1:])
    assert max(taken_per_day(listing).values()) == CAPACITY


def test_sweeps_running_at_once_lapse_each_offer_once_and_email_it_once(postgres_only, run_jobs):
    entries = []
    for _ in range(3):
        listing = ListingFactory(desks=1)
        WaitlistEntryFactory(listing=listing)
        entries += services.offers_make(listing_id=listing.pk)
    Hold.objects.filter(pk__in=[e.hold_id for e in entries]).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    outcomes = run_together([services.offers_lapse for _ in range(4)])
    assert sum(outcomes) == len(entries)  # each offer lapsed by exactly one sweep
    jobs = DBTaskResult.objects.filter(task_path="waitlist.emails.lapse_email_send")
    assert jobs.count() == len(entries)
    run_jobs()
    for entry in entries:
        entry.refresh_from_db()
        assert entry.status == WaitlistEntry.Status.LAPSED
        lapsed = [m for m in mail.outbox if m.to == [entry.guest.email] and "lapsed" in m.subject]
        assert len(lapsed) == 1
