"""Booking, moving and cancelling tours through the services: each rule, and each refusal
leaves nothing behind."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory, NeighborhoodFactory
from tours import services
from tours.models import Tour, TourDayOff, TourHours

from .factories import TourHoursFactory, open_every_day
from .helpers import days_ahead, local, move_in

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


@pytest.fixture
def listing():
    return open_every_day(ListingFactory(desks=8))


@pytest.fixture
def guest():
    return UserFactory()


def book(listing, guest, at, **kwargs):
    return services.tour_book(
        guest=guest,
        listing=listing,
        starts_at=at,
        desks=kwargs.pop("desks", 3),
        move_in=kwargs.pop("move_in", move_in()),
        **kwargs,
    )


def test_a_guest_books_a_free_slot_with_what_they_need(listing, guest):
    tour = book(listing, guest, local(days_ahead(3), 10, 30), desks=4)
    tour.refresh_from_db()
    assert tour.is_booked and tour.desks == 4 and tour.move_in == move_in()
    assert timezone.localtime(tour.starts_at).time() == datetime.time(10, 30)
    assert tour.ends_at - tour.starts_at == datetime.timedelta(minutes=30)


def test_one_tour_per_slot(listing, guest):
    at = local(days_ahead(3), 10)
    book(listing, guest, at)
    with pytest.raises(ValidationError, match="Someone has just booked") as caught:
        book(listing, UserFactory(), at)
    assert caught.value.code == "taken"
    assert Tour.objects.count() == 1


def test_the_database_refuses_two_booked_tours_in_one_slot(listing, guest):
    """The constraint behind the lock: even a write around the service cannot double-book."""
    from django.db import IntegrityError, transaction

    tour = book(listing, guest, local(days_ahead(3), 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        Tour.objects.create(
            listing=listing,
            guest=UserFactory(),
            starts_at=tour.starts_at,
            ends_at=tour.ends_at,
            desks=1,
            move_in=tour.move_in,
            scheduled_at=timezone.now(),
        )


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (lambda: local(days_ahead(3), 10, 15), "not one of this space's tour times"),
        (lambda: local(days_ahead(3), 10, 30) + datetime.timedelta(seconds=1), "tour times"),
        (lambda: local(days_ahead(3), 8, 30), "tour times"),  # before the hours
        (lambda: local(days_ahead(3), 17), "tour times"),  # the hours end at 17:00
        (lambda: local(days_ahead(-1), 10), "has passed"),
        (lambda: timezone.now() - datetime.timedelta(minutes=1), "has passed"),
        (lambda: local(days_ahead(200), 10), "at most 120 days ahead"),
        (lambda: datetime.datetime.combine(days_ahead(3), datetime.time(10)), "tour times"),
    ],
    ids=["off-grid", "forged-seconds", "early", "late", "yesterday", "past", "far", "naive"],
)
def test_times_that_are_not_free_slots_are_refused(listing, guest, at, message):
    with pytest.raises(ValidationError, match=message):
        book(listing, guest, at())
    assert not Tour.objects.exists()


def test_a_day_off_has_no_tours(listing, guest):
    services.tour_day_off_save(day_off=TourDayOff(listing=listing, day=days_ahead(4)))
    with pytest.raises(ValidationError, match="shows no one around"):
        book(listing, guest, local(days_ahead(4), 10))


def test_a_weekday_without_hours_has_no_tours(guest):
    day = days_ahead(3)
    row = TourHoursFactory(weekday=(day.weekday() + 1) % 7)
    with pytest.raises(ValidationError, match="tour times"):
        book(row.listing, guest, local(day, 10))


def test_unpublished_own_and_oversized_requests_are_refused(listing, guest):
    at = local(days_ahead(3), 10)
    with pytest.raises(ValidationError, match="your own space"):
        book(listing, listing.host, at)
    with pytest.raises(ValidationError, match="from 1 to 8"):
        book(listing, guest, at, desks=9)
    with pytest.raises(ValidationError, match="from 1 to 8"):
        book(listing, guest, at, desks=0)
    with pytest.raises(ValidationError, match="move-in date"):
        book(listing, guest, at, move_in=days_ahead(-2))
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.DRAFT)
    listing.refresh_from_db()
    with pytest.raises(ValidationError, match="not open for tours"):
        book(listing, guest, at)
    assert not Tour.objects.exists()


def test_one_upcoming_tour_per_guest_and_space(listing, guest):
    book(listing, guest, local(days_ahead(3), 10))
    with pytest.raises(ValidationError, match="already have a tour here"):
        book(listing, guest, local(days_ahead(5), 10))


def test_a_guests_tours_leave_travel_time_between_spaces(guest):
    boulder = open_every_day(ListingFactory())
    boulder_too = open_every_day(ListingFactory())
    denver_place = NeighborhoodFactory(city__name="Denver", name="RiNo")
    denver = open_every_day(ListingFactory(neighborhood=denver_place))
    day = days_ahead(3)
    book(boulder, guest, local(day, 10))  # 10:00-10:30
    with pytest.raises(ValidationError, match="keep 30 minutes"):
        book(boulder_too, guest, local(day, 10, 30))
    with pytest.raises(ValidationError, match="keep 45 minutes"):
        book(denver, guest, local(day, 11))
    book(boulder_too, guest, local(day, 11))  # 30 minutes after, same city
    book(denver, guest, local(day, 12, 30))  # 1 hour after 11:30, other city
    assert Tour.objects.filter(guest=guest).count() == 3


def test_guest_or_host_moves_a_tour_and_the_sequence_rises(listing, guest):
    tour = book(listing, guest, local(days_ahead(3), 10))
    moved = services.tour_move(tour=tour, by=guest, starts_at=local(days_ahead(3), 14))
    assert moved.sequence == 1
    assert timezone.localtime(moved.starts_at).hour == 14
    moved = services.tour_move(tour=moved, by=listing.host, starts_at=local(days_ahead(4), 9))
    assert moved.sequence == 2
    # The old slot is free again.
    book(listing, UserFactory(), local(days_ahead(3), 10))


def test_a_move_to_a_taken_or_forged_time_changes_nothing(listing, guest):
    tour = book(listing, guest, local(days_ahead(3), 10))
    book(listing, UserFactory(), local(days_ahead(3), 11))
    for at, message in [
        (local(days_ahead(3), 11), "Someone has just booked"),
        (local(days_ahead(3), 11, 10), "tour times"),
        (local(days_ahead(3), 10), "already has"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.tour_move(tour=tour, by=guest, starts_at=at)
    tour.refresh_from_db()
    assert tour.sequence == 0 and timezone.localtime(tour.starts_at).hour == 10


def test_only_the_two_parties_can_change_a_tour(listing, guest):
    tour = book(listing, guest, local(days_ahead(3), 10))
    stranger = UserFactory()
    with pytest.raises(ValidationError, match="Only the guest and the host"):
        services.tour_cancel(tour=tour, by=stranger)
    with pytest.raises(ValidationError, match="Only the guest and the host"):
        services.tour_move(tour=tour, by=stranger, starts_at=local(days_ahead(3), 11))
    tour.refresh_from_db()
    assert tour.is_booked


def test_cancel_frees_the_slot_and_cannot_be_repeated(listing, guest):
    tour = book(listing, guest, local(days_ahead(3), 10))
    cancelled = services.tour_cancel(tour=tour, by=listing.host)
    assert cancelled.status == Tour.Status.CANCELLED and cancelled.sequence == 1
    with pytest.raises(ValidationError, match="was cancelled"):
        services.tour_cancel(tour=cancelled, by=guest)
    book(listing, UserFactory(), local(days_ahead(3), 10))


def test_a_tour_that_has_started_cannot_be_changed(listing, guest):
    at = local(days_ahead(3), 10)
    tour = book(listing, guest, at)
    later = at + datetime.timedelta(minutes=5)
    with pytest.raises(ValidationError, match="already taken place"):
        services.tour_cancel(tour=tour, by=guest, now=later)


def test_tour_hours_on_the_half_hour_and_not_overlapping(listing):
    bad = [
        TourHours(listing=listing, weekday=0, starts=datetime.time(9, 15), ends=datetime.time(10)),
        TourHours(listing=listing, weekday=0, starts=datetime.time(11), ends=datetime.time(10)),
        TourHours(listing=listing, weekday=0, starts=datetime.time(16), ends=datetime.time(18)),
        TourHours(listing=listing, weekday=9, starts=datetime.time(18), ends=datetime.time(19)),
    ]
    for hours in bad:
        with pytest.raises(ValidationError):
            services.tour_hours_save(hours=hours)
    assert TourHours.objects.filter(listing=listing).count() == 7


def test_changing_tour_hours_refreshes_the_public_page(listing, django_capture_on_commit_callbacks):
    from pivotdesk.pagecache import content_version

    before = content_version()
    row = TourHours(listing=listing, weekday=0, starts=datetime.time(17), ends=datetime.time(18))
    with django_capture_on_commit_callbacks(execute=True):
        services.tour_hours_save(hours=row)
    assert content_version() > before
    before = content_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.tour_hours_delete(hours=row)
    assert content_version() > before
