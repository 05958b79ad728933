"""Every public GET parameter and path slug, fed garbage: a page or a 4xx, never a 5xx.

The one property-based fuzzer of the search parameters lives here; the notes a person sees
for each bad value are listings/tests/test_bad_input.py."""

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import SCRIPTY
from .strategies import NASTY, nasty

SEARCH_PARAMS = [
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
    "min_rating",
    "page",
]
VALID = {
    "city": ["boulder", "denver"],
    "neighborhood": ["pearl-street", "lodo"],
    "type": ["hot_desk", "dedicated_desk", "private_office"],
    "desks": ["1", "4"],
    "min_price": ["100"],
    "max_price": ["1000"],
    "move_in": ["2027-01-01"],
    "amenities": ["fast-wi-fi"],
    "q": ["sunny"],
    "sort": ["price", "-price", "all_in", "newest"],
    "min_rating": ["3", "4", "4.5"],
    "page": ["1", "2"],
}

param_value = st.one_of(nasty, st.sampled_from(sum(VALID.values(), [])))
search_query = st.dictionaries(
    st.sampled_from(SEARCH_PARAMS), st.lists(param_value, min_size=1, max_size=3), max_size=8
)


@settings(settings.get_profile("hostile"), max_examples=100)
@given(query=search_query)
def test_search_never_answers_5xx(client, world, query):
    response = client.get(reverse("listings:search"), query)
    assert response.status_code in {200, 400}, (query, response.status_code)
    if response.status_code == 200:
        html = response.content.decode()
        assert "\x00" not in html  # garbage is never echoed raw into the page
        assert html.count("<h1") == 1


@pytest.mark.parametrize("param", SEARCH_PARAMS)
@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_each_search_parameter_alone_with_each_nasty_value(client, world, param, value):
    response = client.get(reverse("listings:search"), {param: value})
    assert response.status_code in {200, 400}, (param, value, response.status_code)


@settings(settings.get_profile("hostile"))
@given(city=nasty, slug=nasty, query=st.dictionaries(nasty, nasty, max_size=3))
def test_city_and_detail_paths_never_answer_5xx(client, world, city, slug, query):
    for path in (f"/spaces/{city}/", f"/spaces/{city}/{slug}/", "/", "/spaces/boulder/"):
        response = client.get(path, query)
        assert response.status_code < 500, (path, query, response.status_code)


def test_unknown_and_unpublished_spaces_are_404(client, world):
    draft = world["draft"]
    assert client.get("/spaces/atlantis/").status_code == 404
    assert client.get("/spaces/boulder/no-such-space/").status_code == 404
    # A Denver listing under Boulder's URL does not exist.
    assert client.get("/spaces/boulder/b-space/").status_code == 404
    assert client.get(f"/spaces/boulder/{draft.slug}/").status_code == 404


def test_script_and_sql_in_search_text_are_shown_escaped(client, world):
    response = client.get(reverse("listings:search"), {"q": SCRIPTY, "city": "boulder"})
    assert response.status_code in {200, 400}
    assert SCRIPTY.encode() not in response.content


@settings(settings.get_profile("hostile"))
@given(next_url=nasty, desks=nasty, move_in=nasty)
def test_account_and_booking_form_pages_take_any_query(client, world, next_url, desks, move_in):
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"):
        response = client.get(path, {"next": next_url})
        assert response.status_code == 200, (path, response.status_code)
    client.force_login(world["guest"])
    response = client.get("/spaces/boulder/a-space/book/", {"desks": desks, "move_in": move_in})
    assert response.status_code == 200, response.status_code
    client.logout()
