"""Listing cards come from the cache together; only missing ones are rendered."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from listings import cards
from listings.models import Listing
from listings.selectors import listing_cards
from listings.services import listing_update
from listings.tests.helpers import bulk_listings, listing_links, parse
from pivotdesk.pagecache import content_version

pytestmark = pytest.mark.django_db


def _listings(n=6):
    bulk_listings(n)
    return list(listing_cards(photos=False).order_by("id"))


def test_warm_cards_need_no_query_and_match_the_fresh_render(django_assert_num_queries):
    listings = _listings()
    version = content_version()
    with django_assert_num_queries(1):  # the photos of the six missing cards, together
        fresh = cards.render(listings, eager=3, version=version)
    again = list(listing_cards(photos=False).order_by("id"))
    with django_assert_num_queries(0):
        warm = cards.render(again, eager=3, version=version)
    assert warm == fresh
    assert all(listing.title in warm for listing in listings)


def test_only_the_missing_cards_are_rendered(django_assert_num_queries):
    listings = _listings()
    version = content_version()
    cards.render(listings[:4], version=version)
    rest = list(listing_cards(photos=False).order_by("id"))
    cache.delete(cards.card_key(rest[0], version=version))
    with django_assert_num_queries(1):
        html = cards.render(rest, version=version)
    # One photo query covered the first card (evicted) and the last two (never rendered).
    assert [hasattr(listing, "_prefetched_objects_cache") for listing in rest] == [
        True,
        False,
        False,
        False,
        True,
        True,
    ]
    assert html.count('class="card"') == 6


def test_eager_cards_load_their_photo_at_once_the_rest_lazily():
    html = cards.render(_listings(), eager=2, version=content_version())
    articles = html.split("<article")[1:]
    assert ['loading="lazy"' in article for article in articles] == [False, False] + [True] * 4


def test_an_edit_retires_the_card():
    listings = _listings(1)
    version = content_version()
    assert listings[0].title in cards.render(listings, version=version)
    listing_update(listing=Listing.objects.get(), data={"title": "Renamed loft desks"})
    fresh = list(listing_cards(photos=False))
    assert "Renamed loft desks" in cards.render(fresh, version=version)


def test_one_cached_card_serves_every_query_and_position(django_assert_num_queries):
    listings = _listings(3)
    version = content_version()
    cards.render(listings, eager=1, version=version)
    again = list(listing_cards(photos=False).order_by("id"))
    with django_assert_num_queries(0):  # no card rendered again, no photo fetched
        html = cards.render(again, eager=2, version=version)
    links = listing_links(parse(SimpleNamespace(content=html.encode())))
    assert all(
        link.endswith(f"/{listing.slug}/") for link, listing in zip(links, again, strict=True)
    )
    articles = html.split("<article")[1:]
    assert ['loading="lazy"' in article for article in articles] == [False, False, True]
    assert "\x00" not in html


def test_nothing_is_stored_while_the_cache_cannot_be_read():
    listings = _listings(2)
    cards.render(listings, version=None)
    assert cache.get(cards.card_key(listings[0], version=None)) is None


def test_a_warm_search_asks_the_database_for_its_page_only(client, django_assert_num_queries):
    bulk_listings(20)
    assert client.get("/spaces/?city=denver").status_code == 200
    # Another sort of the same filters: the form's choices (this process, this content
    # version), the number of matches (shared by sorts and pages) and the cards are cached.
    with django_assert_num_queries(1):
        response = client.get("/spaces/?city=denver&sort=newest")
    assert response.content.count(b'class="card"') == 10
    assert "10 spaces" in response.content.decode()
