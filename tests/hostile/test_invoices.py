"""The list of a member's invoices (/payments/invoices/), fed hostile query parameters: the
page or a 404, never a 5xx, and never another team's rows."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from payments.collect import charges_schedule
from teams.services import team_create

from .strategies import NASTY, nasty

HOSTILE = settings.get_profile("hostile")
URL = "/payments/invoices/"
PARAMS = ["team", "year", "page"]


def _as(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def invoices(world):
    """The guest's team booking on host A's space and the other guest's team booking on
    host B's, one charge each (written: nothing collected)."""
    start = timezone.localdate() - datetime.timedelta(days=3)
    made = {}
    for who, listing in (("guest", "listing_a"), ("other_guest", "listing_b")):
        team = team_create(admin=world[who], name=f"{who} crew", billing_email="pay@crew.test")
        booking = BookingFactory(
            listing=world[listing],
            guest=world[who],
            team=team,
            start=start,
            status=Booking.Status.APPROVED,
        )
        (charge,) = charges_schedule(booking=booking, today=timezone.localdate())
        made[who] = (team, charge)
    return made


@settings(HOSTILE)
@given(query=st.dictionaries(st.sampled_from(PARAMS), nasty, max_size=3))
def test_the_invoice_list_never_answers_5xx(world, invoices, query):
    other_team, other_charge = invoices["other_guest"]
    response = _as(world["guest"]).get(URL, query)
    assert response.status_code in {200, 404}, (query, response.status_code)
    assert other_charge.number.encode() not in response.content
    if response.status_code == 200:
        assert response.content.decode().count("<h1") == 1


@pytest.mark.parametrize("param", PARAMS)
@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_each_invoice_parameter_alone_with_each_nasty_value(world, invoices, param, value):
    response = _as(world["guest"]).get(URL, {param: value})
    assert response.status_code in {200, 404}, (param, value, response.status_code)


def test_another_teams_id_is_a_404_and_shows_nothing_of_it(world, invoices):
    other_team, other_charge = invoices["other_guest"]
    for user in ("guest", "host_a", "host_b"):
        response = _as(world[user]).get(URL, {"team": other_team.pk})
        assert response.status_code == 404, user
        assert other_charge.number.encode() not in response.content
    own_team, own_charge = invoices["guest"]
    response = _as(world["guest"]).get(URL, {"team": own_team.pk})
    assert response.status_code == 200 and own_charge.number.encode() in response.content


def test_anonymous_is_sent_to_log_in(invoices):
    response = Client().get(URL, {"team": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
