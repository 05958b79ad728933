"""Slots are Denver wall times, right on both sides of a daylight-saving change."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from tours import services
from tours.models import TourHours
from tours.slots import apart, day_slots, local_tz

from .factories import TourHoursFactory
from .helpers import local, move_in


def wall(slots):
    """(hour, minute) on the Denver clock."""
    return [(s.astimezone(local_tz()).hour, s.astimezone(local_tz()).minute) for s in slots]


UTC = datetime.UTC
SPRING_FORWARD = datetime.date(2027, 3, 14)  # 02:00 MST -> 03:00 MDT
FALL_BACK = datetime.date(2027, 11, 7)  # 02:00 MDT -> 01:00 MST


def hours(weekday, starts, ends):
    return TourHours(weekday=weekday, starts=starts, ends=ends)


def test_a_ten_oclock_slot_is_ten_local_on_both_sides_of_spring_forward():
    rows = [hours(d, datetime.time(10), datetime.time(11)) for d in range(7)]
    before = day_slots(day=SPRING_FORWARD - datetime.timedelta(days=1), hours=rows)
    on = day_slots(day=SPRING_FORWARD, hours=rows)
    assert [s.astimezone(UTC).hour for s in before] == [17, 17]  # MST, UTC-7
    assert [s.astimezone(UTC).hour for s in on] == [16, 16]  # MDT, UTC-6
    assert wall(on) == [(10, 0), (10, 30)]


def test_the_skipped_hour_of_spring_forward_has_no_slots():
    rows = [hours(SPRING_FORWARD.weekday(), datetime.time(1), datetime.time(4))]
    slots = day_slots(day=SPRING_FORWARD, hours=rows)
    assert wall(slots) == [(1, 0), (1, 30), (3, 0), (3, 30)]
    # 1:30 MST and 3:00 MDT are 30 minutes apart in real time.
    assert slots[2] - slots[1] == datetime.timedelta(minutes=30)


def test_the_repeated_hour_of_fall_back_is_offered_once():
    rows = [hours(FALL_BACK.weekday(), datetime.time(0), datetime.time(3))]
    slots = day_slots(day=FALL_BACK, hours=rows)
    assert wall(slots) == [
        (0, 0),
        (0, 30),
        (1, 0),
        (1, 30),
        (2, 0),
        (2, 30),
    ]
    assert slots[3].astimezone(UTC) == datetime.datetime(2027, 11, 7, 7, 30, tzinfo=UTC)  # MDT
    assert slots[4].astimezone(UTC) == datetime.datetime(2027, 11, 7, 9, 0, tzinfo=UTC)  # MST


def test_a_ten_oclock_slot_after_fall_back_is_five_pm_utc():
    rows = [hours(FALL_BACK.weekday(), datetime.time(10), datetime.time(11))]
    assert day_slots(day=FALL_BACK, hours=rows)[0].astimezone(UTC).hour == 17


@pytest.mark.django_db
@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_a_tour_books_at_the_local_time_on_a_dst_day(day):
    row = TourHoursFactory(weekday=day.weekday(), starts=datetime.time(9), ends=datetime.time(12))
    now = datetime.datetime.combine(day - datetime.timedelta(days=3), datetime.time(12), tzinfo=UTC)
    tour = services.tour_book(
        guest=UserFactory(),
        listing=row.listing,
        starts_at=local(day, 10),
        desks=2,
        move_in=move_in(),
        now=now,
    )
    tour.refresh_from_db()
    expected_utc = 16 if day == SPRING_FORWARD else 17
    assert tour.starts_at.astimezone(UTC).hour == expected_utc
    assert tour.ends_at - tour.starts_at == datetime.timedelta(minutes=30)


@pytest.mark.django_db
def test_the_second_one_thirty_of_fall_back_is_refused():
    row = TourHoursFactory(
        weekday=FALL_BACK.weekday(), starts=datetime.time(0), ends=datetime.time(3)
    )
    second = datetime.datetime(2027, 11, 7, 8, 30, tzinfo=UTC)  # 1:30 MST, the repeat
    now = datetime.datetime(2027, 11, 1, tzinfo=UTC)
    with pytest.raises(ValidationError, match="not one of this space's tour times"):
        services.tour_book(
            guest=UserFactory(),
            listing=row.listing,
            starts_at=second,
            desks=1,
            move_in=move_in(),
            now=now,
        )


def test_travel_gap_is_30_minutes_in_one_city_and_45_between_cities():
    ten = datetime.datetime(2030, 1, 7, 17, 0, tzinfo=UTC)
    m = datetime.timedelta(minutes=1)
    assert apart(ten, 1, ten + 60 * m, 1)  # 10:00-10:30, then 11:00: 30 minutes between
    assert not apart(ten, 1, ten + 30 * m, 1)
    assert not apart(ten, 1, ten + 60 * m, 2)  # Boulder -> Denver needs 45
    assert apart(ten, 1, ten + 90 * m, 2)
    assert not apart(ten + 60 * m, 2, ten, 1)  # either order
