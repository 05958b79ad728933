"""/host/ for hosts: titles, the columns of the list, decline with a reason, replies, the
count of requests waiting for an answer in the site header and the host admin's title."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from bookings.models import Booking, Message
from listings.tests.factories import ListingFactory

from .factories import BookingFactory
from .test_admin import host_with_permissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def host_client(client):
    listing = ListingFactory(desks=3, title="Pearl Loft")
    host_with_permissions(listing.host)
    client.force_login(listing.host)
    client.listing = listing
    return client


def test_the_list_says_your_bookings_and_shows_what_a_host_scans(host_client):
    booking = BookingFactory(listing=host_client.listing, guest=UserFactory(name="Ada Byron"))
    html = host_client.get(reverse("host:bookings_booking_changelist")).content.decode()
    assert "<h1>Your bookings</h1>" in html and "Select booking to change" not in html
    for column in ("Space", "Guest", "Desks", "Dates", "Status", "Answer by"):
        assert f">{column}</a>" in html or f">{column}</span>" in html, column
    assert "Pearl Loft" in html and "Ada Byron" in html
    assert f"{booking.start:%b} {booking.start.day}, {booking.start.year} – " in html
    # Approve in the row: a button of its own form, outside the list's form.
    approve = reverse("host:bookings_booking_approve", args=[booking.pk])
    assert f'<form id="approve-{booking.pk}" method="post" action="{approve}" hidden>' in html
    assert f'form="approve-{booking.pk}"' in html
    decided = BookingFactory(listing=host_client.listing, status=Booking.Status.APPROVED)
    html = host_client.get(reverse("host:bookings_booking_changelist")).content.decode()
    assert f'form="approve-{decided.pk}"' not in html


def test_the_booking_page_says_booking_n_with_real_buttons(host_client):
    booking = BookingFactory(listing=host_client.listing)
    html = host_client.get(
        reverse("host:bookings_booking_change", args=[booking.pk])
    ).content.decode()
    assert f"<h1>Booking #{booking.pk}</h1>" in html and "Change booking" not in html
    assert f"<title>(1) Booking #{booking.pk} |" in html
    assert '<button type="submit" class="button booking-approve">Approve</button>' in html
    assert 'for="id_reason">Reason (optional, the guest reads it)</label>' in html
    assert 'for="id_body">Reply to the guest</label>' in html
    price = booking.price_per_desk
    assert f"${price:,.2f} per desk per month" in html and f"${booking.total:,.2f} for" in html


def test_decline_with_a_reason_the_guest_reads(host_client, django_capture_on_commit_callbacks):
    booking = BookingFactory(listing=host_client.listing)
    response = host_client.post(
        reverse("host:bookings_booking_decline", args=[booking.pk]),
        {"reason": "We are closed for renovation in January."},
        follow=True,
    )
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED
    assert booking.messages.get().body == "We are closed for renovation in January."
    # A reason too long is a message, and nothing is declined.
    other = BookingFactory(listing=host_client.listing)
    response = host_client.post(
        reverse("host:bookings_booking_decline", args=[other.pk]),
        {"reason": "x" * 501},
        follow=True,
    )
    assert response.status_code == 200 and "at most 500 characters" in response.content.decode()
    other.refresh_from_db()
    assert other.status == Booking.Status.REQUESTED


def test_a_host_replies_to_the_guest_from_the_booking_page(host_client):
    booking = BookingFactory(listing=host_client.listing)
    Message.objects.create(booking=booking, author=booking.guest, body="Is there parking?")
    url = reverse("host:bookings_booking_reply", args=[booking.pk])
    response = host_client.post(url, {"body": "Yes, two spots behind."}, follow=True)
    assert response.status_code == 200
    assert [m.body for m in booking.messages.order_by("pk")] == [
        "Is there parking?",
        "Yes, two spots behind.",
    ]
    assert booking.messages.last().author == host_client.listing.host
    html = response.content.decode()
    assert "Is there parking?" in html and "Yes, two spots behind." in html
    # Empty: a message, nothing saved; GET and another host's booking are refused.
    empty = host_client.post(url, {"body": "  "}, follow=True)
    assert "Write a message first." in empty.content.decode()
    assert booking.messages.count() == 2
    assert host_client.get(url).status_code == 405
    theirs = BookingFactory()
    foreign = reverse("host:bookings_booking_reply", args=[theirs.pk])
    assert host_client.post(foreign, {"body": "hi"}).status_code == 404
    assert not theirs.messages.exists()
    assert mail.outbox == []  # emails go through the jobs, not the request


def test_the_waiting_count_in_the_site_header_and_host_title(host_client):
    assert "request waiting" not in host_client.get("/bookings/").content.decode()
    for _ in range(2):
        BookingFactory(listing=host_client.listing)
    BookingFactory(listing=host_client.listing, status=Booking.Status.APPROVED)
    BookingFactory()  # another host's

    with CaptureQueriesContext(connection) as captured:
        html = host_client.get("/bookings/").content.decode()
    assert 'aria-label="Host admin: 2 requests waiting for your answer"' in html
    assert '<span class="nav-count" aria-hidden="true">2</span>' in html
    counts = [q["sql"] for q in captured if "COUNT" in q["sql"] and "bookings_booking" in q["sql"]]
    assert len(counts) == 1

    host_html = host_client.get(reverse("host:index")).content.decode()
    assert "<title>(2) " in host_html and "2 requests waiting for your answer" in host_html


def test_a_guest_sees_no_count_and_pays_no_query(client):
    guest = UserFactory()
    client.force_login(guest)
    with CaptureQueriesContext(connection) as captured:
        html = client.get("/bookings/").content.decode()
    assert "nav-count" not in html
    assert not [q for q in captured if "COUNT" in q["sql"] and "bookings_booking" in q["sql"]]
