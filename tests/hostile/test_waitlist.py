"""The waitlist's forms and links, fed hostile values and other people's ids and tokens: a
form error, a 4xx or success, never a 5xx, and nothing half-saved."""

import datetime
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from bookings.models import Booking, Hold
from bookings.tests.factories import BookingFactory
from waitlist.models import WaitlistEntry
from waitlist.services import offers_make
from waitlist.tests.factories import WaitlistEntryFactory

from .strategies import nasty

HOSTILE = settings.get_profile("hostile")
maybe = st.one_of(st.none(), nasty)


def _as(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def full(world):
    """listing_a, every desk taken for a year."""
    listing = world["listing_a"]
    BookingFactory(
        listing=listing,
        desks=listing.desks,
        status="approved",
        start=timezone.localdate() - datetime.timedelta(days=30),
        months=12,
    )
    return listing


@pytest.fixture
def offer(world):
    """An open offer to the guest on listing_b."""
    entry = WaitlistEntryFactory(listing=world["listing_b"], guest=world["guest"], desks=1)
    [entry] = offers_make(listing_id=entry.listing_id)
    return entry


@settings(HOSTILE)
@given(desks=maybe, start=maybe, months=maybe)
def test_join_form(world, full, desks, start, months):
    client = _as(world["other_guest"])
    data = {k: v for k, v in {"desks": desks, "start": start, "months": months}.items() if v}
    before = WaitlistEntry.objects.count()
    response = client.post("/spaces/boulder/a-space/waitlist/", data)
    # An empty POST is an unbound form (200); a bad one is 400 with errors.
    assert response.status_code in {200, 302, 400}, response.status_code
    if response.status_code != 302:
        assert WaitlistEntry.objects.count() == before


@settings(HOSTILE)
@given(action=maybe, message=maybe, token=st.text(max_size=300))
def test_offer_link(world, offer, action, message, token):
    client = _as(world["other_guest"])
    data = {k: v for k, v in {"action": action, "message": message}.items() if v}
    for url in (
        f"/spaces/denver/b-space/waitlist/offer/{offer.token}/",
        # Quoted: a "#" or "?" in it would otherwise end the path, not forge a token.
        f"/spaces/denver/b-space/waitlist/offer/{quote(token, safe='')}/",
    ):
        response = client.post(url, data)
        assert response.status_code in {404, 405}, (url, response.status_code)
    hold = Hold.objects.get(pk=offer.hold_id)
    assert hold.status == Hold.Status.HELD and not Booking.objects.filter(guest=world["guest"])


@settings(HOSTILE)
@given(action=maybe, message=maybe)
def test_offer_form(world, offer, action, message):
    client = _as(world["guest"])
    data = {k: v for k, v in {"action": action, "message": message}.items() if v}
    url = f"/spaces/denver/b-space/waitlist/offer/{offer.token}/"
    response = client.post(url, data)
    assert response.status_code in {302, 400, 409, 410}, response.status_code


def test_strangers_cannot_leave_someone_elses_place(world, offer):
    client = _as(world["other_guest"])
    for pk in (offer.pk, 0, 99999999999999999999):
        assert client.post(f"/account/waitlist/{pk}/leave/").status_code == 404
    offer.refresh_from_db()
    assert offer.status == WaitlistEntry.Status.OFFERED
