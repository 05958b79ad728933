"""A database error in the middle of a booking leaves nothing half-written, and the guest gets the
friendly 503 page (not a 500).

The failure is real, not mocked: a Postgres trigger on the history table cancels the statement
(SQLSTATE 57014, what statement_timeout raises) after the booking row itself was inserted.
"""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import HostFactory, UserFactory
from bookings.models import Booking, BookingEvent
from listings.tests.factories import ListingFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIGGER = """
CREATE OR REPLACE FUNCTION pd_test_fail_history() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'canceling statement due to statement timeout' USING ERRCODE = '57014';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER pd_test_fail_history BEFORE INSERT ON {table}
  FOR EACH ROW EXECUTE FUNCTION pd_test_fail_history();
"""


@pytest.fixture
def history_writes_fail(postgres_only):
    table = BookingEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(TRIGGER.format(table=table))
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS pd_test_fail_history ON {table}")
        cursor.execute("DROP FUNCTION IF EXISTS pd_test_fail_history()")


@pytest.fixture
def listing_and_guest():
    listing = ListingFactory(host=HostFactory(), desks=5)
    guest = UserFactory()
    client = Client(raise_request_exception=False)
    client.force_login(guest)
    return listing, guest, client


def _request(client, listing):
    start = max(timezone.localdate(), listing.available_from) + datetime.timedelta(days=7)
    return client.post(
        f"{listing.get_absolute_url()}book/",
        {"desks": "2", "start": start.isoformat(), "months": "3", "message": "Hello"},
    )


def test_booking_request_interrupted_by_the_database_leaves_no_rows(
    listing_and_guest, history_writes_fail
):
    listing, guest, client = listing_and_guest
    response = _request(client, listing)
    assert response.status_code == 503
    assert b"right back" in response.content
    assert Booking.objects.count() == 0
    assert BookingEvent.objects.count() == 0


def test_the_same_request_goes_through_when_the_database_is_well(listing_and_guest):
    listing, guest, client = listing_and_guest
    response = _request(client, listing)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.guest == guest and booking.events.count() == 1


def test_approval_interrupted_by_the_database_changes_nothing(listing_and_guest, postgres_only):
    from bookings.services import booking_request

    listing, guest, _ = listing_and_guest
    start = max(timezone.localdate(), listing.available_from) + datetime.timedelta(days=7)
    booking = booking_request(guest=guest, listing=listing, desks=2, start=start, months=3)
    table = BookingEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(TRIGGER.format(table=table))
    try:
        host = Client(raise_request_exception=False)
        host.force_login(listing.host)
        response = host.post(f"/bookings/{booking.pk}/approve/")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS pd_test_fail_history ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS pd_test_fail_history()")
    assert response.status_code == 503
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED
    assert booking.decided_at is None
    assert booking.events.count() == 1
