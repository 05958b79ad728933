"""Shared steps for payments tests: a guest with a card saved through localstripe."""

import datetime

from bookings.models import Booking, add_months
from bookings.tests.factories import BookingFactory
from listings.tests.factories import ListingFactory
from payments.services import card_setup_finish, card_setup_start

from .localstripe import CARD_OK


def save_card(localstripe, user, number: str = CARD_OK):
    """The guest saves a card: SetupIntent, confirmed as Stripe.js would, then recorded."""
    secret = card_setup_start(user=user)
    intent = localstripe.confirm_setup(secret, number)
    return card_setup_finish(user=user, setup_intent_id=intent["id"])


def running_booking(*, started_days_ago: int, months: int = 6, desks: int = 2, deposit=1):
    """An approved booking that started ``started_days_ago`` days ago ($350/desk)."""
    listing = ListingFactory(deposit_months=deposit)
    start = datetime.date.today() - datetime.timedelta(days=started_days_ago)
    return BookingFactory(
        listing=listing,
        desks=desks,
        start=start,
        months=months,
        end=add_months(start, months),
        status=Booking.Status.APPROVED,
    )
