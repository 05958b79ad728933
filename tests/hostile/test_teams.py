"""Team pages, invite links and desk changes, fed hostile values: a form error, a message or
a 404, never a 5xx, and nothing half-saved."""

import datetime
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from bookings.models import Booking, BookingChange
from teams.models import Invite, Membership, Team
from teams.services import team_create

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
def team(world):
    return team_create(admin=world["guest"], name="Crew", billing_email="pay@crew.test")


@settings(HOSTILE)
@given(name=maybe, billing_email=maybe)
def test_team_form(world, name, billing_email):
    before = Team.objects.count()
    response = _as(world["other_guest"]).post(
        "/accounts/teams/", _form(name=name, billing_email=billing_email)
    )
    assert response.status_code in {200, 302}, response.status_code
    if response.status_code == 200:
        assert Team.objects.count() == before


@settings(HOSTILE)
@given(email=maybe, user=maybe)
def test_invite_remove_and_handover_forms(world, team, email, user):
    client = _as(world["guest"])
    response = client.post(f"/accounts/teams/{team.pk}/invite/", _form(email=email))
    assert response.status_code in {302, 400}, response.status_code
    for action in ("remove", "admin"):
        response = client.post(f"/accounts/teams/{team.pk}/{action}/", _form(user=user))
        assert response.status_code == 302, response.status_code
    assert team.memberships.get().role == Membership.Role.ADMIN


@settings(HOSTILE)
@given(token=st.one_of(nasty, st.text(alphabet="abcdefABCDEF0123456789:-_", max_size=120)))
def test_invite_tokens(world, team, token):
    Invite.objects.get_or_create(
        team=team, email=world["other_guest"].email, invited_by=world["guest"]
    )
    # Sent as a client would: percent-encoded (a raw "?" or "#" would end the path).
    token = quote(token.replace("\x00", ""), safe="") or "x"
    client = _as(world["other_guest"])
    for method in (client.get, client.post):
        response = method(f"/accounts/teams/invite/{token}/")
        assert response.status_code in {404}, response.status_code
    assert team.memberships.count() == 1


@settings(HOSTILE)
@given(desks=maybe)
def test_desk_change_form(world, desks):
    listing = world["listing_a"]
    booking, _ = Booking.objects.get_or_create(
        listing=listing,
        guest=world["guest"],
        defaults={
            "desks": 1,
            "start": timezone.localdate() - datetime.timedelta(days=5),
            "months": 3,
            "end": timezone.localdate() + datetime.timedelta(days=80),
            "status": Booking.Status.APPROVED,
            "price_per_desk": listing.price_per_desk,
            "total": listing.price_per_desk * 3,
        },
    )
    before = BookingChange.objects.count()
    response = _as(world["guest"]).post(f"/bookings/{booking.pk}/change/", _form(desks=desks))
    assert response.status_code in {302, 400}, response.status_code
    if response.status_code == 400:
        assert BookingChange.objects.count() == before
