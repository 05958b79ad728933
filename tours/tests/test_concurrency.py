"""Guests racing for the same slot: one gets it, the others a clear message. On Postgres
only (SQLite serialises every write, so it proves nothing), in real transactions: each
thread has its own connection, and a barrier releases them together."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory
from tours import selectors, services
from tours.models import Tour, TourAfternoon

from .factories import open_every_day
from .helpers import days_ahead, local, move_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


def run_together(calls):
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            outcomes[i] = call()
        except Exception as exc:
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


def test_guests_racing_for_the_last_slot_one_gets_it(postgres_only):
    listing = open_every_day(ListingFactory())
    at = local(days_ahead(3), 10)
    guests = [UserFactory() for _ in range(THREADS)]
    outcomes = run_together(
        [
            lambda g=g: services.tour_book(
                guest=g, listing=listing, starts_at=at, desks=1, move_in=move_in()
            )
            for g in guests
        ]
    )
    won = [o for o in outcomes if isinstance(o, Tour)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(lost) == THREADS - 1
    assert all("Someone has just booked" in " ".join(e.messages) for e in lost)
    assert Tour.objects.booked().filter(listing=listing, starts_at=at).count() == 1


def test_afternoons_racing_over_shared_spaces_book_all_or_none(postgres_only):
    """Each afternoon takes the same three spaces in another order of listing: locks in one
    fixed order (by listing id) mean no deadlock, and each afternoon is whole or absent."""
    spaces = [open_every_day(ListingFactory()) for _ in range(3)]
    day = days_ahead(3)
    plan = selectors.afternoon_plans(listings=spaces, day=day)[0]
    legs = [(leg.listing, leg.starts_at) for leg in plan]
    guests = [UserFactory() for _ in range(THREADS)]
    calls = [
        lambda g=g, i=i: services.tour_afternoon_book(
            guest=g,
            legs=legs[i % 3 :] + legs[: i % 3],  # same legs, given in different orders
            desks=1,
            move_in=move_in(),
        )
        for i, g in enumerate(guests)
    ]
    outcomes = run_together(calls)
    won = [o for o in outcomes if isinstance(o, TourAfternoon)]
    assert len(won) == 1
    assert Tour.objects.count() == 3
    assert set(Tour.objects.values_list("guest", flat=True)) == {won[0].guest_id}
    assert TourAfternoon.objects.count() == 1


def test_one_guest_in_two_tabs_cannot_book_two_spaces_too_close_together(postgres_only):
    """Two spaces, back-to-back tours: each alone is fine, both together leave no time to
    get from one to the other. The guest's row lock makes the second tab see the first."""
    one, two = open_every_day(ListingFactory()), open_every_day(ListingFactory())
    guest = UserFactory()
    day = days_ahead(3)
    for _ in range(3):  # a race can be lucky once
        Tour.objects.all().delete()
        outcomes = run_together(
            [
                lambda: services.tour_book(
                    guest=guest,
                    listing=one,
                    starts_at=local(day, 10),
                    desks=1,
                    move_in=move_in(),
                ),
                lambda: services.tour_book(
                    guest=guest,
                    listing=two,
                    starts_at=local(day, 10, 30),
                    desks=1,
                    move_in=move_in(),
                ),
            ]
        )
        won = [o for o in outcomes if isinstance(o, Tour)]
        lost = [o for o in outcomes if isinstance(o, ValidationError)]
        assert len(won) == 1 and len(lost) == 1, outcomes
        assert "too little time" in " ".join(lost[0].messages)
        assert Tour.objects.booked().filter(guest=guest).count() == 1


def test_tours_booked_and_moved_while_the_space_is_archived_end_cancelled(postgres_only):
    """Archiving cancels under the listing's lock: a booking or a move racing it either
    comes first (and is cancelled with the rest) or is refused; none survives booked."""
    from listings.services import listing_archive

    listing = open_every_day(ListingFactory())
    booked = [
        services.tour_book(
            guest=UserFactory(),
            listing=listing,
            starts_at=local(days_ahead(3), 9 + i),
            desks=1,
            move_in=move_in(),
        )
        for i in range(3)
    ]
    calls = [lambda: listing_archive(listing=listing)]
    calls += [
        lambda t=t, i=i: services.tour_move(
            tour=t, by=t.guest, starts_at=local(days_ahead(4), 9 + i)
        )
        for i, t in enumerate(booked)
    ]
    guests = [UserFactory() for _ in range(THREADS - 4)]
    calls += [
        lambda g=g, i=i: services.tour_book(
            guest=g,
            listing=listing,
            starts_at=local(days_ahead(5), 9 + i),
            desks=1,
            move_in=move_in(),
        )
        for i, g in enumerate(guests)
    ]
    outcomes = run_together(calls)
    assert not isinstance(outcomes[0], Exception)
    assert not Tour.objects.booked().filter(listing=listing).exists()
