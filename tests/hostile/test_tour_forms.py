"""The tour forms, fed hostile values: a form error, a 4xx or success, never a 5xx, and
nothing half-saved; other people's tours are 404."""

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from tours.models import Tour, TourAfternoon
from tours.services import tour_book
from tours.tests.factories import open_every_day
from tours.tests.helpers import days_ahead, local, move_in

from .strategies import nasty

HOSTILE = settings.get_profile("hostile")
maybe = st.one_of(st.none(), nasty)


def _form(**fields):
    return {k: v for k, v in fields.items() if v is not None}


def _as(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def toured(world):
    open_every_day(world["listing_a"])
    open_every_day(world["listing_b"])
    return world


@settings(HOSTILE)
@given(starts_at=maybe, desks=maybe, move_in_=maybe)
def test_tour_form(toured, starts_at, desks, move_in_):
    response = _as(toured["guest"]).post(
        "/spaces/boulder/a-space/tours/", _form(starts_at=starts_at, desks=desks, move_in=move_in_)
    )
    # 200: nothing posted (an unbound form); 400: a form error.
    assert response.status_code in {200, 302, 400}, response.status_code
    if response.status_code != 302:
        assert not Tour.objects.exists()


@settings(HOSTILE)
@given(plan=maybe, desks=maybe, move_in_=maybe, spaces=maybe, day=maybe)
def test_afternoon_form(toured, plan, desks, move_in_, spaces, day):
    client = _as(toured["guest"])
    data = _form(plan=plan, desks=desks, move_in=move_in_, spaces=spaces, day=day)
    response = client.post("/spaces/boulder/a-space/tours/afternoon/", data)
    assert response.status_code in {200, 302, 400, 404}, response.status_code
    assert not TourAfternoon.objects.exists()
    response = client.get("/spaces/boulder/a-space/tours/afternoon/", data)
    assert response.status_code in {200, 400}, response.status_code


@pytest.mark.parametrize("stranger", ["other_guest", "host_b"])
def test_strangers_get_404_for_every_tour_url(toured, stranger):
    tour = tour_book(
        guest=toured["guest"],
        listing=toured["listing_a"],
        starts_at=local(days_ahead(2), 10),
        desks=1,
        move_in=move_in(),
    )
    client = _as(toured[stranger])
    base = f"/spaces/boulder/a-space/tours/{tour.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}cancel/").status_code == 404
    assert client.post(f"{base}move/", {"starts_at": "2030-01-07T17:00:00Z"}).status_code == 404
    # The right id under another listing's address is no way in either.
    assert _as(toured["guest"]).get(f"/spaces/denver/b-space/tours/{tour.pk}/").status_code == 404
    tour.refresh_from_db()
    assert tour.is_booked and tour.sequence == 0
