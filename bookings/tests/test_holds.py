"""Holds (waitlist offers) count against capacity in the one count bookings use: the
per-listing check under the lock, the search's SQL, the availability table and the host's
capacity cut all see them while they are held, and none of them once they end."""

import datetime
import random

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.models import Booking, Hold, add_months
from bookings.selectors import desks_free, listing_availability, listings_with_free_desks
from listings.models import Listing
from listings.services import listing_update
from listings.tests.factories import ListingFactory

from .factories import BookingFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def hold(listing, *, desks, start, months=1, status=Hold.Status.HELD):
    return Hold.objects.create(
        listing=listing,
        guest=UserFactory(),
        desks=desks,
        start=start,
        months=months,
        end=add_months(start, months),
        status=status,
    )


def brute_force_free(listing, start, months):
    """Capacity minus approved and held desks, day by day."""
    end = add_months(start, months)
    taken = [
        *Booking.objects.approved().filter(listing=listing).values_list("start", "end", "desks"),
        *Hold.objects.active().filter(listing=listing).values_list("start", "end", "desks"),
    ]
    fewest = listing.desks
    day = start
    while day < end:
        used = sum(desks for s, e, desks in taken if s <= day < e)
        fewest = min(fewest, listing.desks - used)
        day += DAY
    return max(fewest, 0)


def test_a_held_hold_counts_like_an_approved_booking_and_an_ended_one_does_not(
    django_assert_num_queries,
):
    listing = ListingFactory(desks=5)
    start = timezone.localdate() + 10 * DAY
    BookingFactory(listing=listing, status="approved", start=start, desks=2)
    hold(listing, desks=2, start=start + 5 * DAY)
    for status in (Hold.Status.BOOKED, Hold.Status.DECLINED, Hold.Status.LAPSED):
        hold(listing, desks=5, start=start, status=status)
    with django_assert_num_queries(1):
        assert desks_free(listing=listing, start=start, months=1) == 1
    assert desks_free(listing=listing, start=add_months(start, 2), months=1) == 5
    availability = dict(listing_availability(listing=listing))
    assert availability[start.replace(day=1)] == 1


def test_a_hold_is_made_only_from_free_desks():
    listing = ListingFactory(desks=3)
    start = timezone.localdate() + 10 * DAY
    BookingFactory(listing=listing, status="approved", start=start, desks=2)
    with pytest.raises(ValidationError) as exc:
        services.hold_create(listing=listing, guest=UserFactory(), desks=2, start=start, months=1)
    assert exc.value.code == "not_free"
    made = services.hold_create(
        listing=listing, guest=UserFactory(), desks=1, start=start, months=1
    )
    assert made.is_held and made.expires_at is None
    with pytest.raises(ValidationError):
        services.booking_request(
            guest=UserFactory(), listing=listing, desks=1, start=start, months=1
        )


def test_the_host_cannot_cut_desks_below_what_is_held():
    listing = ListingFactory(desks=4)
    hold(listing, desks=3, start=timezone.localdate() + 10 * DAY)
    with pytest.raises(ValidationError) as exc:
        listing_update(listing=listing, data={"desks": 2})
    assert "held for a waitlist offer" in " ".join(exc.value.messages)
    listing.refresh_from_db()
    assert listing.desks == 4


def test_the_searchs_free_desks_count_holds_as_a_day_by_day_count_does():
    rng = random.Random(11)
    today = timezone.localdate()
    firsts = [add_months(today.replace(day=1), n) for n in range(1, 5)]
    listings = [
        ListingFactory(desks=rng.randint(1, 6), min_term_months=rng.randint(1, 3))
        for _ in range(10)
    ]
    for listing in listings:
        for _ in range(rng.randint(0, 4)):
            start = rng.choice([today + rng.randint(-30, 100) * DAY, rng.choice(firsts)])
            months, desks = rng.randint(1, 3), rng.randint(1, 3)
            if rng.random() < 0.5:
                BookingFactory(
                    listing=listing,
                    status=rng.choice(["approved", "requested"]),
                    start=start,
                    months=months,
                    desks=desks,
                )
            else:
                hold(
                    listing,
                    desks=desks,
                    start=start,
                    months=months,
                    status=rng.choice([Hold.Status.HELD, Hold.Status.HELD, Hold.Status.LAPSED]),
                )
    assert Hold.objects.active().exists()
    checked = 0
    for move_in in [today + n * DAY for n in (0, 6, 31, 59, 90)] + firsts:
        for desks in (1, 2, 3, 5):
            expected = {
                listing.pk
                for listing in listings
                if listing.desks >= desks
                and brute_force_free(listing, move_in, listing.min_term_months) >= desks
            }
            found = listings_with_free_desks(Listing.objects.all(), desks=desks, move_in=move_in)
            assert set(found.values_list("pk", flat=True)) == expected, (move_in, desks)
            checked += len(expected)
    assert 0 < checked < 9 * 4 * len(listings)
