import datetime

import factory

from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory
from tours.models import SLOT, Tour, TourHours


class TourHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TourHours

    listing = factory.SubFactory(ListingFactory)
    weekday = 0
    starts = datetime.time(9)
    ends = datetime.time(17)


def open_every_day(listing, starts=datetime.time(9), ends=datetime.time(17)):
    """Tour hours on all seven weekdays, so any future day has slots."""
    for weekday in range(7):
        TourHoursFactory(listing=listing, weekday=weekday, starts=starts, ends=ends)
    return listing


class TourFactory(factory.django.DjangoModelFactory):
    """A booked tour written directly (for reads and lists); services make real ones."""

    class Meta:
        model = Tour

    listing = factory.SubFactory(ListingFactory)
    guest = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(
        lambda: datetime.datetime(2030, 1, 7, 17, 0, tzinfo=datetime.UTC)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + SLOT)
    desks = 2
    move_in = datetime.date(2030, 2, 1)
    scheduled_at = factory.LazyAttribute(lambda o: o.starts_at - datetime.timedelta(days=7))
