"""An approved booking's next steps (its page and its approval email) say how paying works:
charged by PivotDesk when payments are on, arranged with the host while they are off."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from listings.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    """3 desks at $350 with a one-month deposit: $1,050.00 a month and a $1,050.00 deposit."""
    listing = ListingFactory(desks=5, price_per_desk=Decimal("350.00"), deposit_months=1)
    return BookingFactory(listing=listing, desks=3, status=Booking.Status.APPROVED)


@pytest.fixture
def payments_on(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_next_steps"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_next_steps"


def test_with_payments_on_the_guest_reads_what_is_charged_and_when(client, booking, payments_on):
    client.force_login(booking.guest)
    html = client.get(booking.get_absolute_url()).content.decode()
    text = render_to_string("bookings/includes/next_steps.txt", {"booking": booking})
    for body in (html, text):
        assert "PivotDesk charges your card on file $1,050.00 a month" in body
        assert "the first month and a refundable $1,050.00 deposit now" in body
        assert "does not take payments" not in body and "arranges payment" not in body


def test_without_a_deposit_none_is_mentioned(booking, payments_on):
    booking.listing.deposit_months = 0
    text = render_to_string("bookings/includes/next_steps.txt", {"booking": booking})
    assert "$1,050.00 a month: the first month now" in text and "deposit" not in text


def test_with_payments_off_the_host_arranges_payment(client, booking):
    client.force_login(booking.guest)
    html = client.get(booking.get_absolute_url()).content.decode()
    assert "Your host arranges payment with you directly" in html
    assert "charges your card" not in html
