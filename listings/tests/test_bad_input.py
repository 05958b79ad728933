"""Garbage in the search URL is ignored with a visible note — never a 500, never a hang.

The property-based fuzzer of the same parameters is tests/hostile/test_get_params.py."""

from urllib.parse import urlencode

import pytest

from listings.tests.factories import AmenityFactory, CityFactory, ListingFactory

pytestmark = pytest.mark.django_db

GARBAGE = [
    "abc",
    "1e309",
    "-5",
    "0",
    "2026-13-45",
    "nul\x00byte",
    "x" * 5000,
    "99999999999999999999999",
    "NaN",
    "inf",
    "3.5",
    "<script>alert(1)</script>",
    "%00",
    "' OR 1=1 --",
    "🙂",
]
PARAMS = [
    "city",
    "neighborhood",
    "type",
    "desks",
    "min_price",
    "max_price",
    "move_in",
    "amenities",
    "q",
    "sort",
    "page",
]


@pytest.fixture
def listing():
    listing = ListingFactory(slug="real")
    listing.amenities.add(AmenityFactory(slug="wifi"))
    CityFactory(name="Denver")
    return listing


@pytest.mark.parametrize(
    "param, value, note",
    [
        ("desks", "abc", "Desks needed: Enter a whole number."),
        ("desks", "1e309", "Desks needed: Enter a whole number."),
        ("desks", "-3", "Desks needed: Ensure this value is greater than or equal to 1."),
        ("desks", "99999999999999999999999", "Desks needed: Ensure this value is less than"),
        ("min_price", "1e309", "Min price per desk: Ensure this value is less than"),
        ("max_price", "-1", "Max price per desk: Ensure this value is greater than"),
        ("max_price", "NaN", "Max price per desk: Enter a number."),
        ("move_in", "2026-13-45", "Move-in date: Enter a valid date."),
        ("q", "x" * 5000, "Keywords: Ensure this value has at most 200 characters"),
        ("q", "desk\x00s", "Keywords: Null characters are not allowed."),
        ("city", "atlantis", "City: We have no city by that name."),
        ("city", "bo\x00ulder", "City: We have no city by that name."),
        ("city", "y" * 5000, "City: We have no city by that name."),
        ("neighborhood", "nowhere", "Neighborhood: We have no neighborhood by that name."),
        ("type", "castle", "Type of space: Choose a hot desk, a dedicated desk or an office."),
        ("amenities", "jacuzzi", "Amenities: We don't know one of those amenities."),
        ("sort", "random", "Sort by: Sort by price, -price, all_in or newest."),
        ("page", "999999", "There is no page 999999"),
        ("page", "abc", "Page: “abc” is not a page number"),
        ("page", "-1", "is not a page number"),
        ("page", "z" * 5000, "is not a page number"),
    ],
)
def test_garbage_is_ignored_with_a_visible_note(client, listing, param, value, note):
    response = client.get(f"/spaces/?{urlencode({param: value})}")
    assert response.status_code == 200
    html = response.content.decode()
    assert note in html.replace("&#x27;", "'").replace("&quot;", '"')
    # The filter was ignored, so the one listing is still found.
    assert [item.slug for item in response.context["listings"]] == ["real"]
    # An ignored value is not carried into links or echoed back in full.
    assert value not in response.context["canonical"]
    for char in "xyz":
        assert char * 300 not in html
    assert "\x00" not in html


def test_valid_filters_survive_next_to_garbage(client, listing):
    ListingFactory(slug="small", desks=1)
    response = client.get("/spaces/?desks=4&min_price=abc&city=boulder")
    assert [item.slug for item in response.context["listings"]] == ["real"]
    assert response.context["canonical"].endswith("/spaces/?city=boulder&desks=4")


def test_too_many_parameters_is_a_400_not_a_500(client, listing):
    query = "&".join(f"amenities=a{i}" for i in range(1200))
    assert client.get(f"/spaces/?{query}").status_code == 400


@pytest.mark.parametrize("value", GARBAGE)
def test_garbage_on_the_detail_page_prefill_is_dropped(client, listing, value):
    response = client.get(f"/spaces/boulder/real/?{urlencode({'desks': value, 'move_in': value})}")
    assert response.status_code == 200
    assert response.context["book_url"] == "/spaces/boulder/real/book/"
