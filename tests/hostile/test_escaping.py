"""SQL-looking and script-looking strings are stored as typed and shown escaped."""

import datetime

from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import host_enable
from bookings.models import Message
from listings.models import Listing

from .conftest import SCRIPTY, SQLY

EVIL = f"{SCRIPTY} {SQLY}"


def _assert_escaped(html: bytes):
    assert SCRIPTY.encode() not in html
    assert b"&lt;script&gt;" in html


def test_signup_name_and_company(world):
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {
            "email": "evil@example.test",
            "password1": "a-long-enough-passphrase-1",
            "password2": "a-long-enough-passphrase-1",
            "name": EVIL[:150],
            "company": SQLY,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="evil@example.test")
    assert user.name == EVIL[:150] and user.company == SQLY
    client.force_login(user)
    _assert_escaped(client.get("/accounts/profile/").content)
    _assert_escaped(client.get("/").content)  # the name in the navigation


def test_listing_written_in_host_admin_then_shown_publicly(world):
    host_enable(user=world["host_a"])
    client = Client()
    client.force_login(world["host_a"])
    pearl = world["listing_a"].neighborhood
    response = client.post(
        "/host/listings/listing/add/",
        {
            "title": EVIL[:120],
            "slug": "evil-space",
            "status": "published",
            "space_type": "hot_desk",
            "description": EVIL,
            "city": pearl.city_id,
            "neighborhood": pearl.pk,
            "address": SQLY,
            "latitude": "40.0176",
            "longitude": "-105.2797",
            "desks": "3",
            "price_per_desk": "300",
            "min_term_months": "1",
            "deposit_months": "0",
            "available_from": timezone.localdate().isoformat(),
            "photos-TOTAL_FORMS": "0",
            "photos-INITIAL_FORMS": "0",
            "photos-MIN_NUM_FORMS": "0",
            "photos-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    listing = Listing.objects.get(slug="evil-space")
    assert listing.description == EVIL and listing.address == SQLY
    public = Client()
    for url in (listing.get_absolute_url(), "/spaces/boulder/", "/spaces/?city=boulder", "/"):
        response = public.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.content)
    assert Listing.objects.count() == 4  # the table is still there


def test_booking_message(world):
    guest = Client()
    guest.force_login(world["guest"])
    listing = world["listing_a"]
    start = max(timezone.localdate(), listing.available_from) + datetime.timedelta(days=3)
    response = guest.post(
        f"{listing.get_absolute_url()}book/",
        {"desks": "1", "start": start.isoformat(), "months": "2", "message": EVIL},
    )
    assert response.status_code == 302
    booking_url = response["Location"]
    assert guest.post(f"{booking_url}message/", {"body": EVIL}).status_code == 302
    assert Message.objects.get().body == EVIL
    _assert_escaped(guest.get(booking_url).content)
    host = Client()
    host.force_login(world["host_a"])
    _assert_escaped(host.get(booking_url).content)
