"""The listing page links to the ask page, and stays one shared copy for anonymous visitors:
the link is the same for everyone, and the page sets no cookie."""

import pytest
from django.core.wsgi import get_wsgi_application

from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory
from pivotdesk.pagecache import PageCache, page_params
from pivotdesk.tests.wsgi_util import wsgi_get
from questions import services

pytestmark = pytest.mark.django_db

LINK = 'href="/spaces/{city}/{slug}/ask/" rel="nofollow">Ask the host a question</a>'


@pytest.fixture
def listing():
    return ListingFactory(title="Loft on Pearl")


def test_anonymous_visitors_get_the_same_cacheable_page_with_the_link(listing):
    django = get_wsgi_application()  # rendered by Django each time, no page cache in front
    path = listing.get_absolute_url()
    first, second = wsgi_get(django, path), wsgi_get(django, path)
    assert first.status == second.status == 200
    assert LINK.format(city=listing.city.slug, slug=listing.slug) in first.text
    assert first.body == second.body
    for response in (first, second):
        assert response.all("Set-Cookie") == []
        assert "cookie" not in (response.header("Vary") or "").lower()
        assert "public" in response.header("Cache-Control")


def test_the_page_cache_serves_the_second_visitor_the_first_ones_copy(listing):
    app = PageCache(get_wsgi_application())
    path = listing.get_absolute_url()
    miss, hit = wsgi_get(app, path), wsgi_get(app, path)
    assert (miss.header("X-Page-Cache"), hit.header("X-Page-Cache")) == ("miss", "hit")
    assert hit.body == miss.body and "Ask the host a question" in hit.text


def test_a_guest_who_asked_gets_the_same_link(client, listing):
    guest = UserFactory()
    services.question_ask(guest=guest, listing=listing, body="Parking?")
    client.force_login(guest)
    page = client.get(listing.get_absolute_url())
    assert LINK.format(city=listing.city.slug, slug=listing.slug) in page.text


def test_the_ask_page_is_never_page_cached(listing):
    assert page_params(listing.get_absolute_url()) is not None
    assert page_params(f"{listing.get_absolute_url()}ask/") is None
    assert page_params("/questions/") is None
