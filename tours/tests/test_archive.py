"""Archiving a listing, or setting it back to draft, cancels its upcoming tours, through
tours' own cancellation, and tells their guests the space is no longer listed; tours under
way or over are left alone. Listings announces it (``listings.signals.listing_unlisted``)
and never imports tours."""

import ast
import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import host_enable
from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.services import listing_archive, listing_publish, listing_update
from listings.tests.factories import ListingFactory
from listings.tests.helpers import listing_change_form
from tours import services
from tours.models import Tour

from .factories import TourFactory, open_every_day
from .helpers import days_ahead, local, move_in
from .test_emails import invitation


def book(listing, *, day, hour, guest=None):
    return services.tour_book(
        guest=guest or UserFactory(),
        listing=listing,
        starts_at=local(days_ahead(day), hour),
        desks=2,
        move_in=move_in(),
    )


def status(tour):
    tour.refresh_from_db()
    return tour.status


@pytest.fixture
def toured(transactional_db, run_jobs):
    """A listing with two upcoming tours, one under way and one over; its emails sent."""
    listing = open_every_day(ListingFactory(title="Loft on Pearl"))
    soon = book(listing, day=2, hour=10, guest=UserFactory(email="gia@guests.test"))
    later = book(listing, day=9, hour=14)
    now = timezone.now()
    under_way = TourFactory(listing=listing, starts_at=now - datetime.timedelta(minutes=10))
    over = TourFactory(listing=listing, starts_at=now - datetime.timedelta(days=2))
    run_jobs()
    mail.outbox.clear()
    return listing, [soon, later], [under_way, over]


def test_archiving_cancels_the_upcoming_tours_and_tells_their_guests(toured, run_jobs):
    listing, upcoming, past = toured
    elsewhere = book(open_every_day(ListingFactory()), day=2, hour=10)
    run_jobs()
    mail.outbox.clear()
    listing_archive(listing=listing)
    for tour in upcoming:
        tour.refresh_from_db()
        assert tour.status == Tour.Status.CANCELLED
        assert tour.cancelled_by == listing.host and tour.sequence == 1
    assert [status(tour) for tour in past] == [Tour.Status.BOOKED] * 2
    assert status(elsewhere) == Tour.Status.BOOKED
    run_jobs()
    run_jobs()  # a job run again sends nothing twice
    to_guests = [m for m in mail.outbox if m.to != [listing.host.email]]
    assert sorted(m.to[0] for m in to_guests) == sorted(t.guest.email for t in upcoming)
    for message in to_guests:
        assert message.subject.startswith("Tour cancelled, Loft on Pearl is no longer listed")
        assert "the space is no longer listed on PivotDesk" in message.body
        assert f"{settings.SITE_URL}{listing.city.get_absolute_url()}" in message.body
        method, event = invitation(message)
        assert method == "CANCEL" and event["SEQUENCE"] == 1
    # The host's calendar loses them too: one cancelled invitation per tour.
    assert len([m for m in mail.outbox if m.to == [listing.host.email]]) == len(upcoming)
    # The slots are free again, and nobody can book one: the space is not listed.
    assert not Tour.objects.booked().filter(listing=listing, starts_at__gt=timezone.now())


def test_the_hosts_archive_action_in_host_admin_cancels_the_tours(toured):
    listing, upcoming, past = toured
    client = Client()
    client.force_login(host_enable(user=listing.host))
    url = reverse("host:bookings_booking_archive_listings")
    response = client.post(url, {"ids": str(listing.pk)}, follow=True)
    assert "Archived 1 space." in response.content.decode()
    assert [status(tour) for tour in upcoming] == [Tour.Status.CANCELLED] * 2
    assert [status(tour) for tour in past] == [Tour.Status.BOOKED] * 2


def test_archiving_from_the_listing_form_cancels_the_tours(toured):
    listing, upcoming, past = toured
    client = Client()
    client.force_login(host_enable(user=listing.host))
    form = listing_change_form(listing, status=Listing.Status.ARCHIVED)
    response = client.post(f"/host/listings/listing/{listing.pk}/change/", form)
    assert response.status_code == 302
    assert [status(tour) for tour in upcoming] == [Tour.Status.CANCELLED] * 2
    assert [status(tour) for tour in past] == [Tour.Status.BOOKED] * 2


def test_an_archive_rolled_back_cancels_nothing_and_sends_nothing(toured, run_jobs):
    listing, upcoming, _past = toured

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        listing_archive(listing=listing)
        raise Abandoned
    assert [status(tour) for tour in upcoming] == [Tour.Status.BOOKED] * 2
    run_jobs()
    assert mail.outbox == []


def test_setting_back_to_draft_cancels_the_tours_as_archiving_does(toured, run_jobs):
    listing, upcoming, past = toured
    listing_update(listing=listing, data={"status": Listing.Status.DRAFT})
    assert [status(tour) for tour in upcoming] == [Tour.Status.CANCELLED] * 2
    assert [status(tour) for tour in past] == [Tour.Status.BOOKED] * 2
    run_jobs()
    to_guests = [m for m in mail.outbox if m.to != [listing.host.email]]
    assert sorted(m.to[0] for m in to_guests) == sorted(t.guest.email for t in upcoming)
    assert all("is no longer listed" in m.subject for m in to_guests)
    to_host = [m for m in mail.outbox if m.to == [listing.host.email]]
    assert len(to_host) == len(upcoming)
    assert "set back to draft" in to_host[0].body
    # Archived afterwards: nothing is left to cancel, nothing is sent twice.
    mail.outbox.clear()
    listing_archive(listing=listing)
    run_jobs()
    assert mail.outbox == []


def test_setting_back_to_draft_from_the_listing_form_cancels_the_tours(toured):
    listing, upcoming, past = toured
    client = Client()
    client.force_login(host_enable(user=listing.host))
    form = listing_change_form(listing, status=Listing.Status.DRAFT)
    response = client.post(f"/host/listings/listing/{listing.pk}/change/", form)
    assert response.status_code == 302
    assert [status(tour) for tour in upcoming] == [Tour.Status.CANCELLED] * 2
    assert [status(tour) for tour in past] == [Tour.Status.BOOKED] * 2


def test_other_changes_leave_the_tours_booked(toured):
    listing, upcoming, _past = toured
    listing_update(listing=listing, data={"title": "Loft on Pearl, renamed", "desks": 9})
    listing_update(listing=listing, data={"status": Listing.Status.PUBLISHED})
    listing_publish(listing=listing)
    assert [status(tour) for tour in upcoming] == [Tour.Status.BOOKED] * 2
    # Only while it is off the site: on a listed space the service cancels nothing.
    assert services.listing_tours_cancel(listing_id=listing.pk) == []


def test_archiving_twice_cancels_once(toured, run_jobs):
    listing, upcoming, _past = toured
    listing_archive(listing=listing)
    listing_archive(listing=listing)  # already archived: nothing is announced again
    assert services.listing_tours_cancel(listing_id=listing.pk) == []
    run_jobs()
    assert len(mail.outbox) == 2 * len(upcoming)
    assert Tour.objects.get(pk=upcoming[0].pk).sequence == 1


def test_the_guest_still_finds_the_tour_marked_cancelled(toured):
    listing, upcoming, _past = toured
    listing_archive(listing=listing)
    tour = upcoming[0]
    client = Client()
    client.force_login(tour.guest)
    page = client.get(tour.get_absolute_url())
    assert page.status_code == 200 and "cancelled" in page.content.decode().lower()
    mine = client.get(reverse("tours:mine")).content.decode()
    assert "Loft on Pearl" in mine.split("<h2>Cancelled</h2>")[1]


def test_listings_never_imports_tours():
    """Tours builds on listings: listings announces the archive with a signal instead."""
    root = Path(__file__).resolve().parents[2] / "listings"
    importers = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "tours" or name.startswith("tours.") for name in names):
                importers.append(str(path.relative_to(root.parent)))
    assert importers == []
