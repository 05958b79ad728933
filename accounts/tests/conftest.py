import pytest

from accounts.services import host_enable
from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory, NeighborhoodFactory, image_upload

PASSWORD = "correct-horse-battery"


@pytest.fixture
def make_host(db):
    def make(**kwargs):
        return host_enable(user=UserFactory(**kwargs))

    return make


@pytest.fixture
def host_a(make_host):
    return make_host(email="anna@hosts.test", name="Anna Host")


@pytest.fixture
def host_b(make_host):
    return make_host(email="ben@hosts.test", name="Ben Host")


@pytest.fixture
def guest(db):
    return UserFactory(email="gia@guests.test", name="Gia Guest")


@pytest.fixture
def hood(db):
    return NeighborhoodFactory()


@pytest.fixture
def listing_a(host_a, hood):
    return ListingFactory(host=host_a, neighborhood=hood, title="Anna's sunny loft")


@pytest.fixture
def listing_b(host_b, hood):
    return ListingFactory(host=host_b, neighborhood=hood, title="Ben's secret garage")


@pytest.fixture
def photo_b(listing_b):
    from listings.services import photo_create

    return photo_create(
        listing=listing_b, image=image_upload(size=(200, 150)), caption="Ben's desk row"
    )
