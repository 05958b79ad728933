"""Every page a shared cache may keep says what it shows; nothing else carries tags."""

import pytest
from django.test import Client

from listings.tests.factories import CityFactory, ListingFactory, NeighborhoodFactory
from pages.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    boulder = CityFactory(name="Boulder")
    denver = CityFactory(name="Denver")
    pearl = NeighborhoodFactory(city=boulder, name="Pearl Street")
    lodo = NeighborhoodFactory(city=denver, name="LoDo")
    return {
        "boulder": [ListingFactory(neighborhood=pearl) for _ in range(2)],
        "denver": [ListingFactory(neighborhood=lodo)],
    }


def tags(response) -> set[str]:
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    return set(response["Surrogate-Key"].split())


def test_each_public_page_names_what_it_shows(client, site):
    b1, b2 = (f"listing-{listing.pk}" for listing in site["boulder"])
    d1 = f"listing-{site['denver'][0].pk}"
    assert {"all", "home", b1, b2, d1} <= tags(client.get("/"))
    assert tags(client.get("/spaces/?city=boulder")) == {"all", "search", b1, b2}
    assert tags(client.get("/spaces/boulder/")) == {"all", "city-boulder", b1, b2}
    detail = tags(client.get(site["denver"][0].get_absolute_url()))
    assert detail == {"all", "city-denver", d1}
    assert tags(client.get("/sitemap.xml")) == {"all", "sitemap"}
    assert tags(client.get("/robots.txt")) == {"all", "robots"}
    for slug in Page.Slug.values:
        assert tags(client.get(f"/{slug}/")) == {"all", f"page-{slug}"}


def test_no_tags_on_what_is_not_shared(site):
    listing = site["boulder"][0]
    client = Client()
    client.force_login(listing.host)
    response = client.get(listing.get_absolute_url())
    assert "private" in response["Cache-Control"]
    assert "Surrogate-Key" not in response
    assert "Surrogate-Key" not in Client().get("/accounts/login/")
    # A city that is not there: a 404 carries no tags.
    assert "Surrogate-Key" not in client.get("/spaces/atlantis/")


def test_a_malformed_city_in_the_path_never_makes_a_tag(client, site):
    response = client.get("/spaces/Boulder%20x/")
    assert response.status_code == 404
    assert "Surrogate-Key" not in response


def test_a_slug_with_capitals_or_underscores_gives_the_same_tag_on_page_and_purge():
    from cdn.tags import TAG, clean

    assert clean("city-Fort_Collins") == "city-fort-collins"
    assert TAG.match(clean("page-" + "x" * 300))
    assert clean("all; rm -rf") == "all--rm--rf"
