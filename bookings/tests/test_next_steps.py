"""After approval the guest's booking page says what happens next: where, when, whom to
contact, how paying works."""

import pytest

from bookings.models import Booking

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


def test_an_approved_guest_reads_address_move_in_host_contact_and_paying(client):
    booking = BookingFactory(status=Booking.Status.APPROVED)
    client.force_login(booking.guest)
    html = client.get(booking.get_absolute_url()).content.decode()
    assert 'id="next-steps">What happens next</h2>' in html
    assert booking.listing.address in html
    assert f"{booking.start:%A, %B} {booking.start.day}, {booking.start.year}" in html
    host = booking.listing.host
    assert f'href="mailto:{host.email}"' in html
    assert "Your host arranges payment with you directly" in html


@pytest.mark.parametrize("status", [Booking.Status.REQUESTED, Booking.Status.DECLINED])
def test_nothing_to_do_next_before_approval_and_no_host_address(client, status):
    booking = BookingFactory(status=status)
    client.force_login(booking.guest)
    html = client.get(booking.get_absolute_url()).content.decode()
    assert "What happens next" not in html
    assert booking.listing.host.email not in html


def test_the_host_does_not_read_the_guests_next_steps(client):
    booking = BookingFactory(status=Booking.Status.APPROVED)
    client.force_login(booking.listing.host)
    assert "What happens next" not in client.get(booking.get_absolute_url()).content.decode()
