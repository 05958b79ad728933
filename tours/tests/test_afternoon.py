"""A tour afternoon: plans with travel time between spaces, booked all or none."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory, NeighborhoodFactory
from tours import selectors, services
from tours.models import Tour, TourAfternoon
from tours.slots import SLOT

from .factories import open_every_day
from .helpers import days_ahead, local, move_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def spaces():
    """Two Boulder spaces open 13:00-15:00 and a Denver one open 13:00-17:00."""
    one = open_every_day(ListingFactory(title="A"), datetime.time(13), datetime.time(15))
    two = open_every_day(ListingFactory(title="B"), datetime.time(13), datetime.time(15))
    rino = NeighborhoodFactory(city__name="Denver", name="RiNo")
    denver = open_every_day(
        ListingFactory(title="C", neighborhood=rino), datetime.time(13), datetime.time(17)
    )
    return one, two, denver


def gaps(plan):
    return [
        (b.starts_at - (a.starts_at + SLOT), a.listing.city_id != b.listing.city_id)
        for a, b in zip(plan, plan[1:], strict=False)
    ]


def test_plans_leave_30_minutes_in_a_city_and_45_between_cities(spaces):
    day = days_ahead(3)
    plans = selectors.afternoon_plans(listings=list(spaces), day=day)
    assert plans
    for plan in plans:
        assert {leg.listing for leg in plan} == set(spaces)
        assert [leg.starts_at for leg in plan] == sorted(leg.starts_at for leg in plan)
        for gap, crossing in gaps(plan):
            assert gap >= datetime.timedelta(minutes=45 if crossing else 30)
    first = plans[0]
    # The earliest: 13:00 in Boulder, 14:00 in Boulder, 15:15 is off-grid so Denver at 15:30.
    assert [timezone.localtime(leg.starts_at).strftime("%H:%M") for leg in first] == [
        "13:00",
        "14:00",
        "15:30",
    ]


def test_taken_slots_and_the_guests_other_tours_shape_the_plans(spaces):
    one, two, denver = spaces
    day = days_ahead(3)
    services.tour_book(
        guest=UserFactory(), listing=one, starts_at=local(day, 13), desks=1, move_in=move_in()
    )
    plans = selectors.afternoon_plans(listings=[one, two], day=day)
    assert all(
        leg.starts_at != local(day, 13) for plan in plans for leg in plan if leg.listing == one
    )
    busy = [(local(day, 14), denver.city_id)]
    plans = selectors.afternoon_plans(listings=[one, two], day=day, busy=busy)
    assert plans == [], "nothing in 13:00-15:00 leaves 45 minutes around a Denver tour at 14:00"


def test_an_afternoon_books_every_tour_together(spaces):
    guest = UserFactory()
    day = days_ahead(3)
    plan = selectors.afternoon_plans(listings=list(spaces), day=day)[0]
    afternoon = services.tour_afternoon_book(
        guest=guest,
        legs=[(leg.listing, leg.starts_at) for leg in plan],
        desks=4,
        move_in=move_in(),
    )
    assert afternoon.day == day
    tours = list(afternoon.tours.order_by("starts_at"))
    assert [t.listing for t in tours] == [leg.listing for leg in plan]
    assert all(t.guest == guest and t.desks == 4 for t in tours)


def test_a_slot_taken_meanwhile_books_none_of_them(spaces):
    day = days_ahead(3)
    plan = selectors.afternoon_plans(listings=list(spaces), day=day)[0]
    services.tour_book(
        guest=UserFactory(),
        listing=plan[-1].listing,
        starts_at=plan[-1].starts_at,
        desks=1,
        move_in=move_in(),
    )
    guest = UserFactory()
    with pytest.raises(ValidationError) as caught:
        services.tour_afternoon_book(
            guest=guest,
            legs=[(leg.listing, leg.starts_at) for leg in plan],
            desks=2,
            move_in=move_in(),
        )
    text = " ".join(caught.value.messages)
    assert "C: Someone has just booked" in text and "Nothing was booked" in text
    assert not Tour.objects.filter(guest=guest).exists()
    assert not TourAfternoon.objects.exists()


@pytest.mark.parametrize("count", [1, 5])
def test_too_few_or_too_many_spaces_are_refused(count):
    day = days_ahead(3)
    listings = [open_every_day(ListingFactory()) for _ in range(count)]
    legs = [(x, local(day, 9 + 2 * i)) for i, x in enumerate(listings)]
    with pytest.raises(ValidationError, match="Pick 2 to 4 different spaces"):
        services.tour_afternoon_book(guest=UserFactory(), legs=legs, desks=1, move_in=move_in())
    assert not Tour.objects.exists()


def test_an_afternoon_is_one_day_and_one_space_once(spaces):
    one, two, _ = spaces
    with pytest.raises(ValidationError, match="one day"):
        services.tour_afternoon_book(
            guest=UserFactory(),
            legs=[(one, local(days_ahead(3), 13)), (two, local(days_ahead(4), 14))],
            desks=1,
            move_in=move_in(),
        )
    with pytest.raises(ValidationError, match="different spaces"):
        services.tour_afternoon_book(
            guest=UserFactory(),
            legs=[(one, local(days_ahead(3), 13)), (one, local(days_ahead(3), 14))],
            desks=1,
            move_in=move_in(),
        )
    assert not Tour.objects.exists()


def test_a_forged_plan_without_travel_time_books_nothing(spaces):
    one, _, denver = spaces
    day = days_ahead(3)
    with pytest.raises(ValidationError, match="keep 45 minutes"):
        services.tour_afternoon_book(
            guest=UserFactory(),
            legs=[(one, local(day, 13)), (denver, local(day, 14))],
            desks=1,
            move_in=move_in(),
        )
    assert not Tour.objects.exists()
