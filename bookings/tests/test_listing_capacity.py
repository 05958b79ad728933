"""The capacity rule seen from the listing: a listing cannot have fewer desks than its approved
bookings hold on any day from today on — in listings.services.listing_update, from any caller,
and on the listing forms of /host/ and /admin/."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from accounts.services import host_enable
from accounts.tests.factories import UserFactory
from bookings import services
from bookings.selectors import approved_desks_peak
from listings.models import Listing
from listings.services import LISTING_DESKS_BELOW_APPROVED, listing_update
from listings.tests.factories import ListingFactory
from listings.tests.helpers import listing_change_form as _form
from tests.locks import until_sessions_wait

from .factories import BookingFactory

DAY = datetime.timedelta(days=1)


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


@pytest.mark.django_db
def test_listing_update_refuses_fewer_desks_than_approved_from_any_caller(booked):
    with pytest.raises(ValidationError) as exc:
        listing_update(listing=booked, data={"desks": 2, "title": "Fewer desks"})
    assert exc.value.message_dict == {"desks": [_refusal(3, booked.peak_day)]}
    booked.refresh_from_db()
    assert booked.desks == 6 and booked.title != "Fewer desks"
    assert listing_update(listing=booked, data={"desks": 3}).desks == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(4))
def test_a_capacity_cut_and_an_approval_at_once_never_overbook(postgres_only, round_):
    """listing_update lowers desks 4 -> 2 in one thread while booking_approve approves 2 more
    in another. The test holds the listing's row until both are waiting on it, then lets
    go: whichever gets the row second counts what the first committed, so exactly one of
    them is refused and approved desks never exceed capacity."""
    today = timezone.localdate()
    listing = ListingFactory(desks=4)
    host = host_enable(user=listing.host)
    BookingFactory(listing=listing, status="approved", desks=2, start=today + 10 * DAY, months=2)
    request = BookingFactory(listing=listing, desks=2, start=today + 10 * DAY, months=2)
    outcomes = {}

    def attempt(name, call):
        try:
            call()
            outcomes[name] = "done"
        except ValidationError:
            outcomes[name] = "refused"
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=attempt,
            args=("cut", lambda: listing_update(listing=listing, data={"desks": 2})),
        ),
        threading.Thread(
            target=attempt,
            args=("approve", lambda: services.booking_approve(booking=request, host=host)),
        ),
    ]
    with transaction.atomic():
        Listing.objects.select_for_update().get(pk=listing.pk)
        for thread in threads:
            thread.start()
        until_sessions_wait(2)  # both writers wait on the listing
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"

    listing.refresh_from_db()
    approved, _day = approved_desks_peak(listing=listing, start=today)
    assert approved <= listing.desks
    assert sorted(outcomes.values()) == ["done", "refused"], outcomes
    if outcomes["cut"] == "done":
        assert (listing.desks, approved) == (2, 2)
    else:
        assert (listing.desks, approved) == (4, 4)


# --- "available from" and the minimum term under approved bookings ------------------------


@pytest.fixture
def terms_booked(db):
    today = timezone.localdate()
    listing = ListingFactory(desks=6, min_term_months=1, available_from=today)
    first = BookingFactory(
        listing=listing, status="approved", desks=1, start=today + 30 * DAY, months=3
    )
    BookingFactory(listing=listing, status="requested", desks=1, start=today + 5 * DAY, months=1)
    BookingFactory(listing=listing, status="approved", desks=1, start=today - 90 * DAY, months=1)
    listing.first_booked = first
    return listing


def test_available_from_cannot_move_past_an_approved_booking(terms_booked):
    first = terms_booked.first_booked
    with pytest.raises(ValidationError) as exc:
        listing_update(listing=terms_booked, data={"available_from": first.start + DAY})
    start = first.start
    assert exc.value.message_dict["available_from"] == [
        f"Booking #{first.pk} starts on {start:%B} {start.day}, {start.year}: the space must "
        "be available from that day or earlier."
    ]
    terms_booked.refresh_from_db()
    assert terms_booked.available_from == timezone.localdate()
    # Up to that day is fine: a pending request and an ended booking do not hold it back.
    listing_update(listing=terms_booked, data={"available_from": first.start})


def test_the_minimum_term_cannot_exceed_an_approved_booking_that_runs(terms_booked):
    with pytest.raises(ValidationError) as exc:
        listing_update(listing=terms_booked, data={"min_term_months": 6})
    assert "runs for 3 months" in exc.value.message_dict["min_term_months"][0]
    listing_update(listing=terms_booked, data={"min_term_months": 3})


@pytest.mark.parametrize("site", ["host", "admin"])
def test_the_listing_forms_say_which_booking_the_new_terms_contradict(terms_booked, site):
    if site == "host":
        client, extra = _as(host_enable(user=terms_booked.host)), {}
    else:
        client = _as(UserFactory(is_staff=True, is_superuser=True))
        extra = {"host": terms_booked.host_id}
    first = terms_booked.first_booked
    later = (first.start + 10 * DAY).isoformat()
    response = client.post(
        f"/{site}/listings/listing/{terms_booked.pk}/change/",
        _form(terms_booked, available_from=later, min_term_months="12", **extra),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert f"Booking #{first.pk} starts on" in errors["available_from"][0]
    assert "runs for 3 months" in errors["min_term_months"][0]
    terms_booked.refresh_from_db()
    assert terms_booked.min_term_months == 1
