"""Every page runs the same small number of SQL queries with 20 and with 300 listings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from listings.models import Listing
from listings.tests.helpers import bulk_listings

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10

PAGES = [
    "/",
    "/spaces/",
    "/spaces/?city=boulder&neighborhood=pearl-street&type=hot_desk&desks=1&min_price=100"
    "&max_price=900&move_in=2030-01-01&amenities=wifi&amenities=coffee&q=desks&sort=price",
    "/spaces/?q=sunny+coffee&page=2",
    "/spaces/?desks=abc&sort=nonsense&page=999999",
    "/spaces/?desks=3&sort=all_in&page=2",
    "/spaces/boulder/",
    "/spaces/denver/",
    "/spaces/boulder/bright-team-desks-0/",
    "/spaces/boulder/bright-team-desks-0/?desks=2&move_in=2030-01-01",
    "/sitemap.xml",
]


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response


@pytest.mark.parametrize("url", PAGES)
def test_query_count_is_small_and_constant_with_20_and_300_listings(client, url):
    bulk_listings(20)
    small, response = _count(client, url)
    assert small <= MAX_QUERIES, url
    bulk_listings(280, start=20)
    assert Listing.objects.published().count() == 300
    large, response = _count(client, url)
    assert large == small, url
    if "/spaces/" in url and "?" not in url and url.count("/") == 2:
        assert len(response.context["listings"]) == 24  # the search page is full


def test_pages_with_django_assert_num_queries(client, django_assert_num_queries):
    """The exact numbers, so a new query on a page is a deliberate change."""
    bulk_listings(20)
    expected = {
        "/": 3,  # cities with counts, featured listings (one window query), their photos
        "/spaces/?city=denver&amenities=wifi": 6,  # 3 choices, count, page, photos
        "/spaces/boulder/": 4,  # city, listings, photos, neighborhoods
        # listing+host (with its all-in cost), photos, amenity ids, monthly extras,
        # availability (one query for 12 months), the tour hours (tours' include); the
        # city, neighborhood and amenities come from the copies the search above made
        "/spaces/boulder/bright-team-desks-0/": 6,
        # More than one desk: the all-in cost is the rule in the page query, not a query
        # more. Count and page; its cards are the ones the search above cached.
        "/spaces/?city=denver&desks=2&sort=all_in": 2,
        "/spaces/boulder/bright-team-desks-1/?desks=2": 6,
    }
    for url, count in expected.items():
        with django_assert_num_queries(count):
            assert client.get(url).status_code == 200


def test_search_results_take_their_places_from_the_form_copies(django_assert_num_queries):
    # The page query joins neither city nor neighborhood: with_places sets them from the
    # search form's copies, and fetches only what the copies lack (a place newer than them).
    from listings.selectors import with_places
    from listings.tests.factories import ListingFactory, NeighborhoodFactory

    known = ListingFactory()
    newer = ListingFactory(neighborhood=NeighborhoodFactory(name="Whittier"))
    with django_assert_num_queries(1):
        page = list(Listing.objects.filter(pk__in=[known.pk, newer.pk]).order_by("pk"))
    with django_assert_num_queries(0):
        with_places(page[:1], cities=[known.city], neighborhoods=[known.neighborhood])
        assert page[0].neighborhood is known.neighborhood and page[0].city is known.city
    with django_assert_num_queries(2):  # the two relations, for the newer one only
        with_places(page, cities=[known.city], neighborhoods=[known.neighborhood])
    with django_assert_num_queries(0):
        assert [listing.neighborhood.name for listing in page] == [
            known.neighborhood.name,
            "Whittier",
        ]
        assert page[1].city.name == newer.city.name


def test_a_listing_page_takes_places_and_amenities_from_the_form_copies(
    django_assert_num_queries,
):
    # selectors.listing_page: four queries (listing + host, photos, amenity ids, extras); the city,
    # neighborhood and amenities are the per-process copies, and whatever is newer than the
    # copies is fetched, not missed.
    from listings.selectors import listing_page, search_choices
    from listings.tests.factories import (
        AmenityFactory,
        CityFactory,
        ListingFactory,
        NeighborhoodFactory,
    )

    listing = ListingFactory()
    wifi, coffee = AmenityFactory(name="Wifi"), AmenityFactory(name="Coffee")
    listing.amenities.set([wifi, coffee])
    version = 424242  # any: the copies are kept per version
    cities, neighborhoods, amenities = search_choices(version=version)
    with django_assert_num_queries(4):
        page = listing_page(city_slug=listing.city.slug, slug=listing.slug, version=version)
    with django_assert_num_queries(0):
        assert page.listing == listing and page.photos == []
        assert page.listing.city in cities and page.listing.neighborhood in neighborhoods
        assert page.listing.host == listing.host
        assert [a.name for a in page.amenities] == ["Coffee", "Wifi"]  # by name
        assert all(any(a is b for b in amenities) for a in page.amenities)

    # Newer than the copies (added while the version stayed): fetched.
    listing.amenities.add(AmenityFactory(name="Bikes"))
    newer = ListingFactory(
        neighborhood=NeighborhoodFactory(name="RiNo", city=CityFactory(name="Denver"))
    )
    with django_assert_num_queries(5):  # + the amenities themselves
        page = listing_page(city_slug=listing.city.slug, slug=listing.slug, version=version)
    assert [a.name for a in page.amenities] == ["Bikes", "Coffee", "Wifi"]
    page = listing_page(city_slug="denver", slug=newer.slug, version=version)
    assert page.listing == newer
    assert (page.listing.city.name, page.listing.neighborhood.name) == ("Denver", "RiNo")

    with django_assert_num_queries(1):  # a city that does not exist: no listing query
        assert listing_page(city_slug="atlantis", slug=listing.slug, version=version) is None
    assert listing_page(city_slug="denver", slug=listing.slug, version=version) is None
