import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory
from waitlist.models import WaitlistEntry


class WaitlistEntryFactory(factory.django.DjangoModelFactory):
    """A place in line as stored (tests set up state; the services make real ones)."""

    class Meta:
        model = WaitlistEntry

    listing = factory.SubFactory(ListingFactory)
    guest = factory.SubFactory(UserFactory)
    desks = 1
    start = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    months = 1
