"""Every form, fed hostile values: a clear form error or success, never a 5xx."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import User
from accounts.services import host_enable
from bookings.models import Booking
from bookings.services import booking_request
from listings.models import Listing

from .strategies import nasty

HOSTILE = settings.get_profile("hostile")
maybe = st.one_of(st.none(), nasty)


def _form(**fields):
    return {k: v for k, v in fields.items() if v is not None}


def _has_errors(response, data=True):
    """A re-rendered form says what is wrong. (An empty POST is an unbound form: no errors.)"""
    if not data:
        return True
    html = response.content.decode()
    return "errorlist" in html or 'role="alert"' in html or "errornote" in html


@settings(HOSTILE)
@given(email=maybe, password1=maybe, password2=maybe, name=maybe, company=maybe)
def test_signup(world, email, password1, password2, name, company):
    client = Client()
    data = _form(email=email, password1=password1, password2=password2, name=name, company=company)
    response = client.post("/accounts/signup/", data)
    assert response.status_code in {200, 302}, response.status_code
    if response.status_code == 200:
        assert _has_errors(response, data)


@settings(HOSTILE)
@given(username=maybe, password=maybe, next_url=maybe)
def test_login(world, username, password, next_url):
    response = Client().post(
        "/accounts/login/", _form(username=username, password=password, next=next_url)
    )
    # 429: the throttle (django-axes) locks out an IP that keeps failing.
    assert response.status_code in {200, 429}, response.status_code


@settings(HOSTILE)
@given(name=maybe, company=maybe, phone=maybe, bio=maybe, email=maybe)
def test_profile_and_password_reset(world, name, company, phone, bio, email):
    client = Client()
    client.force_login(world["guest"])
    data = _form(name=name, company=company, phone=phone, bio=bio)
    response = client.post("/accounts/profile/", data)
    assert response.status_code in {200, 302}, response.status_code
    if response.status_code == 200:
        assert _has_errors(response, data)
    response = Client().post("/accounts/password-reset/", _form(email=email))
    assert response.status_code in {200, 302}, response.status_code


@pytest.fixture
def booking(world):
    listing = world["listing_a"]
    start = max(timezone.localdate(), listing.available_from) + datetime.timedelta(days=3)
    return booking_request(
        guest=world["guest"], listing=listing, desks=1, start=start, months=2, message="Hi"
    )


@settings(HOSTILE)
@given(desks=maybe, start=maybe, months=maybe, message=maybe)
def test_booking_form(world, desks, start, months, message):
    client = Client()
    client.force_login(world["guest"])
    before = Booking.objects.count()
    data = _form(desks=desks, start=start, months=months, message=message)
    response = client.post("/spaces/boulder/a-space/book/", data)
    assert response.status_code in {200, 302}, response.status_code
    if response.status_code == 200:
        assert _has_errors(response, data)
        assert Booking.objects.count() == before


@settings(HOSTILE)
@given(body=maybe, reason=maybe)
def test_message_and_decline_forms(world, booking, body, reason):
    guest = Client()
    guest.force_login(world["guest"])
    response = guest.post(f"/bookings/{booking.pk}/message/", _form(body=body))
    assert response.status_code in {200, 302}, response.status_code
    host = Client()
    host.force_login(world["host_a"])
    response = host.post(f"/bookings/{booking.pk}/decline/", _form(reason=reason))
    assert response.status_code in {200, 302}, response.status_code


LISTING_FIELDS = [
    "title",
    "slug",
    "status",
    "space_type",
    "description",
    "city",
    "neighborhood",
    "address",
    "latitude",
    "longitude",
    "desks",
    "price_per_desk",
    "min_term_months",
    "available_from",
    "amenities",
]
MANAGEMENT = {
    "photos-TOTAL_FORMS": "0",
    "photos-INITIAL_FORMS": "0",
    "photos-MIN_NUM_FORMS": "0",
    "photos-MAX_NUM_FORMS": "1000",
}


@settings(HOSTILE)
@given(values=st.dictionaries(st.sampled_from(LISTING_FIELDS), nasty, max_size=len(LISTING_FIELDS)))
def test_host_listing_form(world, values):
    host_enable(user=world["host_a"])
    client = Client()
    client.force_login(world["host_a"])
    before = Listing.objects.count()
    response = client.post("/host/listings/listing/add/", {**MANAGEMENT, **values})
    assert response.status_code in {200, 302}, response.status_code
    if response.status_code == 200:
        assert _has_errors(response, values)
        assert Listing.objects.count() == before


@pytest.mark.parametrize("huge", ["99999999999999999999999999", "-99999999999999999999999999"])
def test_host_listing_form_with_an_id_past_the_integer_range_is_a_form_error(world, huge):
    # Found by the test above on SQLite: Django's "id IN (…)" check overflowed there (a 500).
    host_enable(user=world["host_a"])
    client = Client()
    client.force_login(world["host_a"])
    for field in ("amenities", "city", "neighborhood"):
        response = client.post("/host/listings/listing/add/", {**MANAGEMENT, field: huge})
        assert response.status_code == 200, (field, response.status_code)
        assert _has_errors(response) and "Select a valid choice" in response.content.decode()


def test_host_listing_form_with_a_bad_management_form_is_not_a_500(world):
    host_enable(user=world["host_a"])
    client = Client()
    client.force_login(world["host_a"])
    for management in ({}, {"photos-TOTAL_FORMS": "x"}, {"photos-TOTAL_FORMS": "99999999"}):
        response = client.post("/host/listings/listing/add/", {"title": "x", **management})
        assert response.status_code in {200, 400}, (management, response.status_code)


def test_user_rows_survive_sql_looking_input(world):
    """After all that, the tables are intact."""
    assert User.objects.filter(email="guest@guests.test").exists()


OFFSITE = ["https://evil.example/", "//evil.example/", "/\\evil.example", "https:evil.example"]


@pytest.mark.parametrize("next_url", OFFSITE)
def test_sign_up_and_log_in_never_send_you_off_site(world, next_url):
    signup = Client().post(
        "/accounts/signup/",
        {
            "email": f"n{OFFSITE.index(next_url)}@example.test",
            "password1": "a-long-enough-passphrase-1",
            "password2": "a-long-enough-passphrase-1",
            "name": "Nat",
            "next": next_url,
        },
    )
    login = Client().post(
        "/accounts/login/",
        {"username": "guest@guests.test", "password": "correct-horse-battery", "next": next_url},
    )
    for response in (signup, login):
        assert response.status_code == 302
        assert response["Location"].startswith("/") and not response["Location"].startswith(
            ("//", "/\\")
        ), response["Location"]


@settings(HOSTILE)
@given(overall=maybe, space=maybe, host=maybe, value=maybe, text=maybe)
def test_review_form(world, overall, space, host, value, text):
    from bookings.models import Review
    from bookings.tests.factories import BookingFactory

    started = timezone.localdate() - datetime.timedelta(days=40)
    booking = BookingFactory(
        listing=world["listing_a"],
        guest=world["guest"],
        start=started,
        months=3,
        status=Booking.Status.APPROVED,
    )
    client = Client()
    client.force_login(world["guest"])
    data = _form(overall=overall, space=space, host=host, value=value, text=text)
    response = client.post(f"/spaces/boulder/a-space/review/{booking.pk}/", data)
    assert response.status_code in {200, 302}, response.status_code
    if response.status_code == 200:
        assert _has_errors(response, data)
        assert not Review.objects.filter(booking=booking).exists()


@settings(HOSTILE)
@given(kind=maybe, required=maybe, price=maybe)
def test_host_extras_inline(world, kind, required, price):
    from listings.models import ListingExtra
    from listings.tests.helpers import listing_change_form

    host_enable(user=world["host_a"])
    client = Client()
    client.force_login(world["host_a"])
    listing = world["listing_a"]
    extra_row = _form(kind=kind, required=required, price_cents=price)
    data = listing_change_form(
        listing,
        **{"extras-TOTAL_FORMS": "1", "extras-INITIAL_FORMS": "0"},
        **{f"extras-0-{k}": v for k, v in extra_row.items()},
    )
    response = client.post(f"/host/listings/listing/{listing.pk}/change/", data)
    assert response.status_code in {200, 302}, response.status_code
    for extra in ListingExtra.objects.filter(listing=listing):
        assert 0 < extra.price_cents <= ListingExtra.MAX_PRICE_CENTS
