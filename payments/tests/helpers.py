"""Shared steps for payments tests: a guest with a card saved through localstripe."""

import datetime

from django.utils import timezone

from bookings.models import Booking, add_months
from bookings.services import booking_approve
from bookings.tests.factories import BookingFactory
from listings.tests.factories import ListingFactory
from payments.services import card_setup_finish, card_setup_start

from .localstripe import CARD_OK


def save_card(localstripe, user, number: str = CARD_OK):
    """The guest saves a card: SetupIntent, confirmed as Stripe.js would, then recorded."""
    secret = card_setup_start(user=user)
    intent = localstripe.confirm_setup(secret, number)
    return card_setup_finish(user=user, setup_intent_id=intent["id"])


def approved_and_paid(localstripe, run_jobs) -> Booking:
    """A booking of one desk for two months, starting later, with a one-month deposit:
    approved, its first month and deposit paid with a saved card ($700 in all)."""
    listing = ListingFactory(deposit_months=1)
    booking = BookingFactory(listing=listing, desks=1, months=2)
    save_card(localstripe, booking.guest)
    booking_approve(booking=booking, host=listing.host)
    run_jobs()
    return booking


def running_booking(*, started_days_ago: int, months: int = 6, desks: int = 2, deposit=1):
    """An approved booking that started ``started_days_ago`` days ago ($350/desk)."""
    listing = ListingFactory(deposit_months=deposit)
    start = timezone.localdate() - datetime.timedelta(days=started_days_ago)
    return BookingFactory(
        listing=listing,
        desks=desks,
        start=start,
        months=months,
        end=add_months(start, months),
        status=Booking.Status.APPROVED,
    )
