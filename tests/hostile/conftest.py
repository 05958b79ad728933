import pytest
from hypothesis import HealthCheck, settings

from accounts.tests.factories import HostFactory, UserFactory
from listings.models import Listing
from listings.tests.factories import (
    AmenityFactory,
    CityFactory,
    ListingFactory,
    NeighborhoodFactory,
)

# Small and fast: CI runs these on every push. Function-scoped fixtures are set up once per test
# (not per example), which is what we want: the examples only read.
settings.register_profile(
    "hostile",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCRIPTY = "<script>alert('pwned')</script>"
SQLY = "'; DROP TABLE listings_listing; --"


@pytest.fixture(autouse=True)
def _room_for_many_examples(settings):
    """Hundreds of examples post from one test client's address: budgets that fit them, so
    every example reaches the form (the limits themselves: accounts/tests/test_throttle.py)."""
    settings.ACCOUNT_RATE_PER_IP = "100000/h"
    settings.ACCOUNT_RATE_PER_EMAIL = "100000/h"
    settings.TEAM_INVITE_RATE = "100000/h"
    settings.TOUR_CHANGE_RATE = "100000/h"


@pytest.fixture
def world(db):
    """Two hosts, a guest, listings in both cities, amenities."""
    boulder = CityFactory(name="Boulder")
    denver = CityFactory(name="Denver")
    pearl = NeighborhoodFactory(city=boulder, name="Pearl Street")
    lodo = NeighborhoodFactory(city=denver, name="LoDo")
    wifi = AmenityFactory(name="Fast Wi-Fi")
    host_a = HostFactory(email="a@hosts.test")
    host_b = HostFactory(email="b@hosts.test")
    guest = UserFactory(email="guest@guests.test")
    other_guest = UserFactory(email="other@guests.test")
    listing_a = ListingFactory(host=host_a, neighborhood=pearl, slug="a-space")
    listing_a.amenities.set([wifi])
    listing_b = ListingFactory(host=host_b, neighborhood=lodo, slug="b-space")
    draft = ListingFactory(host=host_a, neighborhood=pearl, status=Listing.Status.DRAFT)
    return {
        "boulder": boulder,
        "denver": denver,
        "host_a": host_a,
        "host_b": host_b,
        "guest": guest,
        "other_guest": other_guest,
        "listing_a": listing_a,
        "listing_b": listing_b,
        "draft": draft,
    }
