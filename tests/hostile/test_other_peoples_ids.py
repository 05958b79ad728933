"""Other people's bookings, messages and listings: 404 everywhere (never 403, never a leak)."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import host_enable
from bookings.models import Booking
from bookings.services import booking_request, message_create


@pytest.fixture
def booking(world):
    """The guest's booking on host A's listing, with one message from the guest."""
    listing = world["listing_a"]
    start = max(timezone.localdate(), listing.available_from) + datetime.timedelta(days=3)
    booking = booking_request(
        guest=world["guest"], listing=listing, desks=1, start=start, months=2, message="Hi"
    )
    message_create(booking=booking, author=world["guest"], body="Private: our door code is 4321")
    return booking


def _as(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("stranger", ["other_guest", "host_b"])
def test_strangers_get_404_for_every_booking_url(world, booking, stranger):
    if stranger == "host_b":
        host_enable(user=world["host_b"])
    client = _as(world[stranger])
    assert client.get(f"/bookings/{booking.pk}/").status_code == 404
    for action in ("message", "approve", "decline", "cancel", "change"):
        response = client.post(
            f"/bookings/{booking.pk}/{action}/", {"body": "hi", "reason": "x", "desks": "2"}
        )
        assert response.status_code == 404, (action, response.status_code)
    listing = client.get("/bookings/")
    assert listing.status_code == 200
    assert b"door code" not in listing.content
    assert f"/bookings/{booking.pk}/".encode() not in listing.content
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED
    assert booking.messages.count() == 1


def test_anonymous_is_sent_to_log_in_and_sees_nothing(booking):
    response = Client().get(f"/bookings/{booking.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_and_garbage_booking_ids_are_404(world, booking):
    client = _as(world["guest"])
    for path in ("/bookings/999999999/", "/bookings/0/", "/bookings/99999999999999999999/"):
        assert client.get(path).status_code == 404, path


def test_the_owners_do_see_it(world, booking):
    """The 404s above are about who asks, not a broken page."""
    host_enable(user=world["host_a"])
    for user in (world["guest"], world["host_a"]):
        response = _as(user).get(f"/bookings/{booking.pk}/")
        assert response.status_code == 200
        assert b"door code" in response.content


def test_host_b_cannot_reach_host_as_listing_or_booking_in_host_admin(world, booking):
    """In /host/, another host's id answers exactly like an id that doesn't exist (Django's
    admin: a 404 or a redirect to the index saying it doesn't exist), and shows nothing."""
    host_enable(user=world["host_b"])
    client = _as(world["host_b"])
    listing = world["listing_a"]
    missing = 999_999_999
    for template in (
        "/host/listings/listing/{}/change/",
        "/host/listings/listing/{}/history/",
        "/host/listings/listing/{}/delete/",
        "/host/bookings/booking/{}/change/",
    ):
        theirs = template.format(listing.pk if "listing" in template else booking.pk)
        got, baseline = client.get(theirs), client.get(template.format(missing))
        assert got.status_code == baseline.status_code, (theirs, got.status_code)
        assert got.status_code in {302, 403, 404}, (theirs, got.status_code)
        assert got.get("Location") == baseline.get("Location")
        for secret in (b"door code", listing.address.encode(), world["guest"].email.encode()):
            assert secret not in got.content, (theirs, secret)
    approve = client.post(f"/host/bookings/booking/{booking.pk}/approve/")
    assert approve.status_code in {403, 404}, approve.status_code
    changelist = client.get("/host/listings/listing/")
    assert listing.title.encode() not in changelist.content
    bookings = client.get("/host/bookings/booking/")
    assert world["guest"].email.encode() not in bookings.content
    # Forged change and bulk actions: nothing moves.
    client.post(f"/host/listings/listing/{listing.pk}/change/", {"title": "stolen"})
    client.post(
        "/host/listings/listing/",
        {"action": "archive_listings", "_selected_action": [listing.pk], "index": "0"},
    )
    client.post(
        "/host/bookings/booking/",
        {"action": "approve_selected", "_selected_action": [booking.pk], "index": "0"},
    )
    listing.refresh_from_db()
    booking.refresh_from_db()
    assert listing.title != "stolen" and listing.status == listing.Status.PUBLISHED
    assert booking.status == Booking.Status.REQUESTED


def test_a_guest_gets_no_host_admin_at_all(world, booking):
    client = _as(world["guest"])
    for url in ("/host/", f"/host/bookings/booking/{booking.pk}/change/", "/admin/"):
        response = client.get(url)
        assert response.status_code in {302, 404}, (url, response.status_code)
        if response.status_code == 302:
            assert "login" in response["Location"]


def test_unpublished_or_unknown_spaces_cannot_be_booked(world):
    client = _as(world["guest"])
    draft = world["draft"]
    for path in (
        f"/spaces/boulder/{draft.slug}/book/",
        "/spaces/boulder/no-such-space/book/",
        "/spaces/denver/a-space/book/",  # Boulder's space under Denver
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"desks": "1", "months": "1"}).status_code == 404, path
    assert not Booking.objects.exists()
