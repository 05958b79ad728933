"""The four listings pages: what a visitor sees, pagination, 404s, accessibility basics."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from listings.models import Listing
from listings.tests.factories import (
    AmenityFactory,
    CityFactory,
    ListingFactory,
    NeighborhoodFactory,
)
from listings.tests.helpers import (
    bulk_listings,
    inline_scripts,
    listing_links,
    parse,
    unlabelled_controls,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing():
    listing = ListingFactory(
        title="Sunny desks on Pearl",
        slug="sunny",
        host__name="Maya Lopez",
        host__company="Trailhead Robotics",
        desks=8,
        price_per_desk=Decimal("375"),
        min_term_months=3,
        available_from=datetime.date(2027, 2, 1),
        address="1942 Pearl St",
    )
    listing.amenities.add(AmenityFactory(name="Phone booths"))
    return listing


def test_home_has_search_box_featured_spaces_and_how_it_works(client, listing):
    CityFactory(name="Denver")
    response = client.get("/")
    page = parse(response)
    html = response.content.decode()
    assert [f.get("action") for f in page.forms if f.get("method") == "get"] == ["/spaces/"]
    assert {attrs["name"] for _, attrs in page.controls} >= {"city", "desks", "move_in"}
    assert "Featured in Boulder" in html and "Sunny desks on Pearl" in html
    assert "For teams looking for desks" in html and "For companies with spare desks" in html
    assert "/spaces/boulder/sunny/" in listing_links(page)


def test_home_features_at_most_three_newest_per_city(client):
    bulk_listings(12)
    response = client.get("/")
    for city, listings in response.context["featured"]:
        assert len(listings) == 3
        assert all(listing.city_id == city.pk for listing in listings)
        created = [listing.created_at for listing in listings]
        assert created == sorted(created, reverse=True)


def test_search_shows_count_active_filters_and_removal_links(client, listing):
    ListingFactory(slug="other", space_type=Listing.SpaceType.HOT_DESK)
    response = client.get("/spaces/?city=boulder&type=dedicated_desk&desks=2")
    html = response.content.decode()
    assert "1 space<" in html
    labels = {item["label"]: item["remove_url"] for item in response.context["active_filters"]}
    assert labels == {
        "Boulder": "/spaces/?type=dedicated_desk&desks=2",
        "Dedicated desk": "/spaces/?city=boulder&desks=2",
        "2+ desks": "/spaces/?city=boulder&type=dedicated_desk",
    }
    assert 'href="/spaces/?city=boulder&amp;desks=2"' in html
    # Listing links are exactly the listing's URL (one cached copy for every search); the
    # team size reaches "Request desks" through the page's data-prefill (static/js/prefill.js).
    assert "/spaces/boulder/sunny/" in listing_links(parse(response))
    assert not [link for link in listing_links(parse(response)) if "?" in link]
    assert 'data-prefill="?desks=2"' in html
    assert 'data-prefill=""' in client.get("/spaces/?city=boulder").content.decode()


def test_search_empty_state_offers_ways_out(client, listing):
    response = client.get("/spaces/?desks=500")
    html = response.content.decode()
    assert "0 spaces" in html
    assert "No spaces match all of that" in html
    assert 'href="/spaces/"' in html


def test_pagination_24_per_page_keeps_filters(client):
    bulk_listings(60)
    response = client.get("/spaces/?city=boulder&sort=price")  # 30 in Boulder
    page = response.context["page"]
    assert page.paginator.count == 30
    assert len(response.context["listings"]) == 24
    assert response.context["next_url"] == "/spaces/?city=boulder&sort=price&page=2"
    second = client.get("/spaces/?city=boulder&sort=price&page=2")
    assert len(second.context["listings"]) == 6
    assert second.context["prev_url"] == "/spaces/?city=boulder&sort=price"
    first_ids = {listing.pk for listing in response.context["listings"]}
    assert first_ids.isdisjoint({listing.pk for listing in second.context["listings"]})
    prices = [listing.price_per_desk for listing in second.context["listings"]]
    assert prices == sorted(prices)
    assert "Page 2 of 2" in second.content.decode()


def test_city_page_has_intro_neighborhoods_and_spaces(client, listing):
    NeighborhoodFactory(name="Gunbarrel", city=listing.city)
    ListingFactory(slug="hidden-draft", status=Listing.Status.DRAFT, title="Draft desks")
    response = client.get("/spaces/boulder/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Desks at the foot of the Flatirons." in html
    assert "Gunbarrel" in html and "Pearl Street" in html
    assert "/spaces/?city=boulder&amp;neighborhood=gunbarrel" in html
    assert "Sunny desks on Pearl" in html and "Draft desks" not in html


def test_detail_shows_every_fact_host_and_request_link(client, listing):
    response = client.get("/spaces/boulder/sunny/")
    html = response.content.decode()
    for text in [
        "Sunny desks on Pearl",
        "Pearl Street",
        "1942 Pearl St",
        "Dedicated desk",
        "8 desks",
        "$375 per desk per month",
        "3 months",
        "February 1, 2027",
        "Phone booths",
        "Bright desks with fast Wi-Fi",
        "Maya Lopez",
        "Trailhead Robotics",
    ]:
        assert text in html, text
    assert 'href="/spaces/boulder/sunny/book/" data-book-link>Request desks' in html
    assert 'id="listing-map-pins" type="application/json"' in html


def test_request_desks_link_carries_desks_and_move_in_from_the_search(client, listing):
    response = client.get("/spaces/boulder/sunny/?desks=3&move_in=2027-03-01")
    assert response.context["book_url"] == "/spaces/boulder/sunny/book/?desks=3&move_in=2027-03-01"
    bad = client.get("/spaces/boulder/sunny/?desks=lots&move_in=2027-13-45")
    assert bad.status_code == 200
    assert bad.context["book_url"] == "/spaces/boulder/sunny/book/"


@pytest.mark.parametrize(
    "url",
    [
        "/spaces/atlantis/",
        "/spaces/atlantis/sunny/",
        "/spaces/boulder/no-such-space/",
        "/spaces/denver/sunny/",  # the right slug under the wrong city
        "/spaces/boulder/draft-space/",
        "/spaces/boulder/archived-space/",
    ],
)
def test_unknown_or_unpublished_is_404(client, listing, url):
    CityFactory(name="Denver")
    ListingFactory(slug="draft-space", status=Listing.Status.DRAFT)
    ListingFactory(slug="archived-space", status=Listing.Status.ARCHIVED)
    assert client.get(url).status_code == 404


def test_gallery_and_cards_use_variants_with_sizes_and_lazy_below_the_fold(client, listing):
    from listings.services import photo_create
    from listings.tests.factories import image_upload

    for position in range(3):
        photo_create(listing=listing, image=image_upload(), caption=f"Room {position}")
    original = listing.photos.first().image.url
    detail = client.get("/spaces/boulder/sunny/").content.decode()
    assert detail.count("<img ") == 3
    assert 'alt="Room 0"' in detail and 'sizes="' in detail and 'width="1600"' in detail
    assert detail.count('loading="lazy"') == 2  # the first photo is above the fold
    assert f'src="{original}"' not in detail
    search = client.get("/spaces/").content.decode()
    assert "-card-" in search and 'width="640"' in search and original not in search


def test_pages_are_accessible_basics(client, listing):
    for url in [
        "/",
        "/spaces/",
        "/spaces/?desks=abc",
        "/spaces/boulder/",
        "/spaces/boulder/sunny/",
    ]:
        page = parse(client.get(url))
        assert page.h1 == 1, url
        assert unlabelled_controls(page) == [], url
        assert {"main", "header", "footer", "nav"} <= page.landmarks, url
        assert inline_scripts(page) == [], url


def test_anonymous_pages_never_touch_the_csrf_token(client, listing):
    # The page cache serves these whole to every visitor: nothing per-user may be in them.
    for url in ["/", "/spaces/?city=boulder", "/spaces/boulder/", "/spaces/boulder/sunny/"]:
        response = client.get(url)
        assert "csrftoken" not in response.cookies, url
        assert "csrfmiddlewaretoken" not in response.content.decode(), url
        assert all(form.get("method") == "get" for form in parse(response).forms), url


def test_maps_come_from_local_static_with_tiles_from_settings(client, listing, settings):
    settings.MAP_TILE_URL = "https://tiles.example.test/{z}/{x}/{y}.png"
    html = client.get("/spaces/boulder/sunny/").content.decode()
    # One script: Leaflet and the map's code, bundled (assets/map.js) and served from /static/.
    assert html.count("<script src=") == 1
    assert '<script src="/static/dist/map.js" defer></script>' in html
    assert 'data-tile-url="https://tiles.example.test/{z}/{x}/{y}.png"' in html
    assert "unpkg" not in html and "cdn" not in html.lower()


def test_move_in_filter_is_inclusive(client):
    today = timezone.localdate()
    ListingFactory(slug="tomorrow", available_from=today + datetime.timedelta(days=1))
    response = client.get(f"/spaces/?move_in={today.isoformat()}")
    assert list(response.context["listings"]) == []
    response = client.get(f"/spaces/?move_in={(today + datetime.timedelta(days=1)).isoformat()}")
    assert [listing.slug for listing in response.context["listings"]] == ["tomorrow"]


@pytest.mark.django_db
def test_search_links_past_the_filters_to_its_results(client):
    ListingFactory()
    html = client.get("/spaces/").content.decode()
    assert '<a href="#results-list">Skip to the 1 result</a>' in html
    assert '<a class="skip-link" href="#results-list">Skip to the 1 result</a>' in html
    assert 'id="results-list"' in html


@pytest.mark.parametrize("price", ["349.50", "349.5", "1200"])
def test_a_price_with_cents_shown_back_can_be_submitted_again(client, listing, price):
    # The search accepts cents (a shared link may carry them); a number input whose step
    # does not divide the shown value would stop the browser from submitting the form.
    page = parse(client.get(f"/spaces/?min_price={price}&max_price={price}"))
    prices = {attrs["name"]: attrs for _, attrs in page.controls if "price" in attrs["name"]}
    assert set(prices) == {"min_price", "max_price"}
    for attrs in prices.values():
        value, step = Decimal(attrs["value"]), Decimal(attrs["step"])
        assert value == Decimal(price)
        assert value % step == 0, attrs


def _two_years_from(today: datetime.date) -> datetime.date:
    """The search horizon: 24 months ahead (Feb 29 falls back to Feb 28)."""
    try:
        return today.replace(year=today.year + 2)
    except ValueError:
        return today.replace(year=today.year + 2, day=28)


@pytest.mark.parametrize(
    "move_in",
    [
        lambda today: today - datetime.timedelta(days=1),
        lambda today: _two_years_from(today) + datetime.timedelta(days=1),
        lambda today: datetime.date(2101, 1, 1),
    ],
    ids=["yesterday", "past-the-horizon", "far-future"],
)
def test_a_move_in_date_that_cannot_work_is_a_form_error_with_the_range(client, move_in):
    today = timezone.localdate()
    ListingFactory()
    response = client.get("/spaces/", {"move_in": move_in(today).isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    first, last = today, _two_years_from(today)
    message = f"Choose a move-in date from {first:%B %-d, %Y} to {last:%B %-d, %Y}."
    assert message in html
    assert 'aria-invalid="true"' in html


def test_a_move_in_date_in_range_is_kept(client):
    today = timezone.localdate()
    ListingFactory()
    response = client.get("/spaces/", {"move_in": _two_years_from(today).isoformat()})
    assert "Choose a move-in date" not in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/spaces/"])
def test_date_inputs_offer_only_the_days_a_term_may_start(client, path):
    today = timezone.localdate()
    page = parse(client.get(path))
    (attrs,) = [a for _, a in page.controls if a.get("name") == "move_in"]
    assert attrs["min"] == today.isoformat()
    assert attrs["max"] == _two_years_from(today).isoformat()
