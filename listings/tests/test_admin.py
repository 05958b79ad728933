"""The listing forms of /host/ and /admin/ keep the capacity rule: a listing cannot have fewer
desks than its approved bookings hold on any day from today on."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.services import host_enable
from accounts.tests.factories import UserFactory
from bookings import services
from bookings.selectors import approved_desks_peak
from bookings.tests.factories import BookingFactory
from listings import admin as listings_admin
from listings.admin import LISTING_DESKS_BELOW_APPROVED

from .factories import CityFactory, ListingFactory, NeighborhoodFactory

DAY = datetime.timedelta(days=1)


def _form(listing, **overrides):
    """The listing change form as the browser posts it, no photos."""
    data = {
        "title": listing.title,
        "slug": listing.slug,
        "status": listing.status,
        "space_type": listing.space_type,
        "description": listing.description,
        "city": listing.city_id,
        "neighborhood": listing.neighborhood_id,
        "address": listing.address,
        "latitude": str(listing.latitude),
        "longitude": str(listing.longitude),
        "desks": str(listing.desks),
        "price_per_desk": str(listing.price_per_desk),
        "min_term_months": str(listing.min_term_months),
        "available_from": listing.available_from.isoformat(),
        "photos-TOTAL_FORMS": "0",
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def _as(user):
    client = Client()
    client.force_login(user)
    return client


def _refusal(approved, day):
    return LISTING_DESKS_BELOW_APPROVED.format(approved=approved, day=day)


@pytest.fixture
def booked(db):
    """Six desks: 2 + 1 approved (3 on the 20th day from now), plus bookings that don't count:
    a pending request for 3 and an approved booking of 5 that has ended."""
    today = timezone.localdate()
    listing = ListingFactory(desks=6)
    BookingFactory(listing=listing, status="approved", desks=2, start=today + 10 * DAY, months=2)
    BookingFactory(listing=listing, status="approved", desks=1, start=today + 20 * DAY)
    BookingFactory(listing=listing, status="requested", desks=3, start=today + 20 * DAY)
    BookingFactory(listing=listing, status="approved", desks=5, start=today - 70 * DAY)
    listing.peak_day = today + 20 * DAY
    return listing


@pytest.mark.parametrize("site", ["host", "admin"])
def test_desks_cannot_go_below_the_approved_peak(booked, site):
    if site == "host":
        client, extra = _as(host_enable(user=booked.host)), {}
    else:
        client, extra = _as(UserFactory(is_staff=True, is_superuser=True)), {"host": booked.host_id}
    url = f"/{site}/listings/listing/{booked.pk}/change/"

    response = client.post(url, _form(booked, desks="2", **extra))

    assert response.status_code == 200  # the form again, with the reason
    message = _refusal(3, booked.peak_day)
    assert response.context["adminform"].form.errors["desks"] == [message]
    day = booked.peak_day
    assert f"3 desks are already approved on {day:%B} {day.day}, {day.year}" in message
    assert message.replace("'", "&#x27;") in response.content.decode()
    booked.refresh_from_db()
    assert booked.desks == 6

    # Exactly the peak is fine: pending requests and ended bookings do not count.
    response = client.post(url, _form(booked, desks="3", **extra))
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.desks == 3


def test_a_booking_running_today_counts_from_today(db):
    today = timezone.localdate()
    listing = ListingFactory(desks=5)
    BookingFactory(listing=listing, status="approved", desks=4, start=today - 10 * DAY)
    client = _as(host_enable(user=listing.host))

    response = client.post(
        f"/host/listings/listing/{listing.pk}/change/", _form(listing, desks="3")
    )

    assert response.context["adminform"].form.errors["desks"] == [_refusal(4, today)]
    listing.refresh_from_db()
    assert listing.desks == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_capacity_cut_and_an_approval_at_once_never_overbook(postgres_only, monkeypatch):
    """A host lowers desks 4 -> 2 in /host/ while approving a request for 2 more (another tab).
    Whichever runs second counts what the first committed, so approved desks never exceed
    capacity. The form's count is made to pause so the approval comes in right after it."""
    today = timezone.localdate()
    listing = ListingFactory(desks=4)
    host = host_enable(user=listing.host)
    BookingFactory(listing=listing, status="approved", desks=2, start=today + 10 * DAY, months=2)
    request = BookingFactory(listing=listing, desks=2, start=today + 10 * DAY, months=2)
    counted, approval_done = threading.Event(), threading.Event()
    count = listings_admin.approved_desks_peak

    def count_then_pause(**kwargs):
        peak = count(**kwargs)
        counted.set()
        approval_done.wait(timeout=1.5)  # an approval that does not wait for us is done by now
        return peak

    monkeypatch.setattr(listings_admin, "approved_desks_peak", count_then_pause)
    client = _as(host)
    outcomes = {}

    def cut():
        try:
            url = f"/host/listings/listing/{listing.pk}/change/"
            outcomes["cut"] = client.post(url, _form(listing, desks="2")).status_code
        finally:
            connection.close()

    def approve():
        try:
            counted.wait(timeout=10)
            services.booking_approve(booking=request, host=host)
            outcomes["approve"] = "approved"
        except ValidationError:
            outcomes["approve"] = "refused"
        finally:
            approval_done.set()
            connection.close()

    threads = [threading.Thread(target=cut), threading.Thread(target=approve)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"

    listing.refresh_from_db()
    approved, _day = approved_desks_peak(listing=listing, start=today)
    assert approved <= listing.desks
    # The approval waited for the cut's row lock, then found no room.
    assert outcomes == {"cut": 302, "approve": "refused"}
    assert listing.desks == 2


@pytest.mark.django_db
def test_a_neighborhood_slug_is_unique_across_cities_too(client):
    """Search takes ?neighborhood=<slug> with or without a city: one slug, one place."""
    boulder = NeighborhoodFactory(city__name="Boulder", city__slug="boulder", slug="downtown")
    denver = CityFactory(name="Denver", slug="denver")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    data = {"city": denver.pk, "name": "Downtown", "latitude": "39.7", "longitude": "-104.99"}

    response = client.post("/admin/listings/neighborhood/add/", {**data, "slug": "downtown"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["slug"] == [
        f"{boulder.name}, Boulder has this slug: searches name neighborhoods by slug alone, "
        "so add the city (e.g. downtown-boulder)."
    ]
    response = client.post("/admin/listings/neighborhood/add/", {**data, "slug": "downtown-denver"})
    assert response.status_code == 302
    # Editing a neighborhood keeps its own slug.
    edit = {"city": boulder.city_id, "name": "Downtown Boulder", "slug": "downtown"}
    edit |= {"latitude": "40.0", "longitude": "-105.27"}
    response = client.post(f"/admin/listings/neighborhood/{boulder.pk}/change/", edit)
    assert response.status_code == 302
