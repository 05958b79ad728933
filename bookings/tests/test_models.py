import datetime

import pytest
from django.db import IntegrityError, transaction

from bookings.models import add_months

from .factories import BookingFactory


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2027, 1, 15), 1, datetime.date(2027, 2, 15)),
        (datetime.date(2027, 1, 31), 1, datetime.date(2027, 2, 28)),
        (datetime.date(2028, 1, 31), 1, datetime.date(2028, 2, 29)),
        (datetime.date(2027, 11, 30), 3, datetime.date(2028, 2, 29)),
        (datetime.date(2027, 12, 1), 12, datetime.date(2028, 12, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [{"desks": 0}, {"months": 0}, {"end": datetime.date(2020, 1, 1)}],
    ids=["desks", "months", "start-before-end"],
)
def test_database_refuses_nonsense_bookings(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(**fields)


@pytest.mark.django_db
def test_booking_url_and_str():
    booking = BookingFactory(desks=3)
    assert booking.get_absolute_url() == f"/bookings/{booking.pk}/"
    assert "3 desk" in str(booking)
