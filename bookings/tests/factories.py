import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings.models import Booking, add_months
from listings.tests.factories import ListingFactory


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking row as stored; it does not go through the services (tests set up state)."""

    class Meta:
        model = Booking

    listing = factory.SubFactory(ListingFactory)
    guest = factory.SubFactory(UserFactory)
    desks = 1
    start = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    months = 1
    end = factory.LazyAttribute(lambda o: add_months(o.start, o.months))
    status = Booking.Status.REQUESTED
    price_per_desk = factory.LazyAttribute(lambda o: o.listing.price_per_desk)
    total = factory.LazyAttribute(lambda o: o.price_per_desk * o.desks * o.months)
