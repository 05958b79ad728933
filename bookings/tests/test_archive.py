"""Archiving a space with live bookings: the host sees what it affects and confirms; waiting
requests are declined with a message, guests with bookings keep them (and the space's page)
and are told, by email."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import host_enable
from accounts.tests.factories import NOT_OPERATORS, UserFactory
from bookings import services
from bookings.models import Booking
from listings.models import Listing
from listings.services import LISTING_ARCHIVE_WITH_BOOKINGS, listing_update
from listings.tests.factories import ListingFactory

from .factories import BookingFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def host_client(client):
    listing = ListingFactory(desks=3)
    client.force_login(host_enable(user=listing.host))  # the real Hosts group
    client.listing = listing
    return client


@pytest.fixture
def lived_in(host_client):
    listing = host_client.listing
    today = timezone.localdate()
    waiting = BookingFactory(listing=listing, desks=1, guest=UserFactory(name="Wen Waiting"))
    staying = BookingFactory(
        listing=listing,
        desks=1,
        status="approved",
        start=today + 10 * DAY,
        months=2,
        guest=UserFactory(name="Sam Staying"),
    )
    BookingFactory(listing=listing, desks=1, status="approved", start=today - 90 * DAY, months=1)
    return listing, waiting, staying


def test_the_archive_action_shows_what_it_affects_and_asks(host_client, lived_in):
    listing, waiting, staying = lived_in
    response = host_client.post(
        reverse("host:listings_listing_changelist"),
        {"action": "archive_listings", "_selected_action": [listing.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Archive 1 space?" in html
    assert f"Request #{waiting.pk} from Wen Waiting" in html and "will be declined" in html
    assert f"Booking #{staying.pk} of Sam Staying" in html and "stands" in html
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED  # asking changed nothing
    assert Booking.objects.get(pk=waiting.pk).status == "requested"


def test_confirming_declines_requests_tells_guests_and_keeps_bookings(
    host_client,
    lived_in,
    run_jobs,
):
    listing, waiting, staying = lived_in
    url = reverse("host:bookings_booking_archive_listings")
    response = host_client.post(url, {"ids": str(listing.pk)}, follow=True)
    assert "Archived 1 space. Declined 1 waiting request; told 1 guest" in response.content.decode()
    listing.refresh_from_db()
    waiting.refresh_from_db()
    staying.refresh_from_db()
    assert listing.status == Listing.Status.ARCHIVED
    assert waiting.status == Booking.Status.DECLINED
    assert "no longer listed" in waiting.messages.get().body
    assert staying.status == Booking.Status.APPROVED
    assert "your booking stands" in staying.messages.get().body
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [waiting.guest.email, staying.guest.email]
    )


def test_the_guest_keeps_the_page_marked_no_longer_listed(client, lived_in):
    listing, waiting, staying = lived_in
    services.listing_withdraw(listing=listing, by=listing.host)
    assert Client().get(listing.get_absolute_url()).status_code == 404  # gone from the site
    client.force_login(staying.guest)
    page = client.get(listing.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert "No longer listed." in html and "data-book-link" not in html
    client.force_login(UserFactory())
    assert client.get(listing.get_absolute_url()).status_code == 404


def test_only_the_host_withdraws_and_a_form_cannot_archive_past_the_bookings(lived_in):
    listing, waiting, staying = lived_in
    with pytest.raises(ValidationError):
        services.listing_withdraw(listing=listing, by=UserFactory())
    with pytest.raises(ValidationError) as exc:
        listing_update(listing=listing, data={"status": Listing.Status.ARCHIVED})
    assert exc.value.message_dict["status"] == [LISTING_ARCHIVE_WITH_BOOKINGS]
    quiet = ListingFactory()
    assert listing_update(listing=quiet, data={"status": "archived"}).status == "archived"


@pytest.mark.parametrize("flags", NOT_OPERATORS.values(), ids=list(NOT_OPERATORS))
def test_only_an_operator_withdraws_someone_elses_space(lived_in, flags):
    # An operator (``User.is_operator``) may archive any space; a superuser flag alone may not.
    listing, waiting, staying = lived_in
    with pytest.raises(ValidationError) as refused:
        services.listing_withdraw(listing=listing, by=UserFactory(**flags))
    assert refused.value.messages == [services.LISTING_NOT_YOURS]
    listing.refresh_from_db()
    waiting.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
    assert waiting.status == Booking.Status.REQUESTED
    operator = UserFactory(is_superuser=True, is_staff=True)
    assert services.listing_withdraw(listing=listing, by=operator).declined == [waiting]


def test_archive_ignores_other_hosts_spaces_and_garbage_ids(host_client):
    theirs = ListingFactory()
    url = reverse("host:bookings_booking_archive_listings")
    for ids in (str(theirs.pk), "x" * 50, "1," * 300, ""):
        response = host_client.post(url, {"ids": ids})
        assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == Listing.Status.PUBLISHED
