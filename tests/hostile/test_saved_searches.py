"""Saved searches and their unsubscribe links, fed hostile values: a form error, a 4xx or
success, never a 5xx, and nothing half-saved."""

from urllib.parse import quote

from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.models import AlertedListing, SavedSearch

from .strategies import nasty

HOSTILE = settings.get_profile("hostile")
maybe = st.one_of(st.none(), nasty)


def _form(**fields):
    return {k: v for k, v in fields.items() if v is not None}


@settings(HOSTILE)
@given(name=maybe, frequency=maybe, query=maybe)
def test_saving_a_search(world, name, frequency, query):
    client = Client()
    client.force_login(world["guest"])
    before = SavedSearch.objects.count()
    response = client.post(
        "/accounts/searches/new/", _form(name=name, frequency=frequency, query=query)
    )
    assert response.status_code in {200, 302}, response.status_code
    if response.status_code == 200:
        assert SavedSearch.objects.count() == before
    for saved in SavedSearch.objects.all():
        assert "\x00" not in saved.query and "\x00" not in saved.name
    # A saved search with no rows of what it matched is a half-save; there is none.
    assert set(AlertedListing.objects.values_list("saved_search_id", flat=True)) <= set(
        SavedSearch.objects.values_list("pk", flat=True)
    )


@settings(HOSTILE)
@given(query=st.lists(st.tuples(nasty, nasty), max_size=6))
def test_the_save_page_with_garbage_filters(world, query):
    client = Client()
    client.force_login(world["guest"])
    response = client.get("/accounts/searches/new/", dict(query))
    assert response.status_code == 200, response.status_code


@settings(HOSTILE)
@given(token=nasty)
def test_unsubscribe_tokens(world, token):
    token = token.replace("/", "").replace("?", "").replace("#", "")
    if not token or token in {".", ".."}:
        return
    for method in ("get", "post"):
        response = getattr(Client(), method)(f"/accounts/searches/unsubscribe/{token}/")
        assert response.status_code in {400, 404}, response.status_code


@settings(HOSTILE)
@given(pk=st.one_of(st.integers(min_value=0, max_value=10**30), nasty))
def test_forged_saved_search_ids(world, pk):
    client = Client()
    client.force_login(world["other_guest"])
    # Sent as a client would: percent-encoded (a raw "?" or "#" would end the path).
    path = f"/accounts/searches/{quote(str(pk).replace(chr(0), ''), safe='')}/"
    for response in (
        client.get(path),
        client.post(path, {"name": "mine", "frequency": "off"}),
        client.post(f"{path}delete/"),
    ):
        assert response.status_code in {404, 405}, (path, response.status_code)
