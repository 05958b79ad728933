import shutil

import pytest
from django.db import connection

from listings.models import Listing
from listings.tests.factories import CityFactory, ListingFactory, NeighborhoodFactory

from .servers import RedisServer


@pytest.fixture
def redis_server():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (CI has it)")
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def committed_site(transactional_db):
    """Boulder and Denver with a few published listings, committed so a gunicorn can see them."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "a gunicorn subprocess shares only a PostgreSQL test database: set DATABASE_URL"
        )
    boulder = CityFactory(name="Boulder")
    denver = CityFactory(name="Denver", intro="Desks a block from Union Station.")
    pearl = NeighborhoodFactory(city=boulder, name="Pearl Street")
    lodo = NeighborhoodFactory(city=denver, name="LoDo")
    listings = [ListingFactory(neighborhood=pearl) for _ in range(3)]
    listings += [ListingFactory(neighborhood=lodo) for _ in range(2)]
    assert Listing.objects.published().count() == 5
    return {"boulder": boulder, "denver": denver, "listings": listings}


@pytest.fixture
def site_pages(committed_site):
    """The anonymous pages a tweet sends people to."""
    first = committed_site["listings"][0]
    return ["/", "/spaces/boulder/", "/spaces/?city=boulder", first.get_absolute_url()]
