"""The waitlist's pages: joining from the request form and the listing page, a guest's
places in line, the offer link (forged, expired, used twice, someone else's), the host's
view in /host/."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings.models import Booking, Hold
from bookings.tests.factories import BookingFactory
from listings.tests.factories import ListingFactory
from waitlist import services
from waitlist.models import WaitlistEntry

from .factories import WaitlistEntryFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def soon(days=10):
    return timezone.localdate() + days * DAY


def full_listing(desks=2, **kwargs):
    listing = ListingFactory(desks=desks, **kwargs)
    BookingFactory(listing=listing, desks=desks, status="approved", start=soon(-30), months=12)
    return listing


def join_url(listing):
    return reverse("waitlist:join", args=[listing.city.slug, listing.slug])


def offer_url(entry):
    return reverse(
        "waitlist:offer", args=[entry.listing.city.slug, entry.listing.slug, entry.token]
    )


def an_offer(**kwargs):
    """An open offer on a listing whose last desk was just freed (the booking ended early)."""
    listing = ListingFactory(desks=1, **kwargs)
    entry = WaitlistEntryFactory(listing=listing, start=soon(), months=1)
    [entry] = services.offers_make(listing_id=listing.pk)
    # Its email went out an hour ago.
    Hold.objects.filter(pk=entry.hold_id).update(
        expires_at=timezone.now() + datetime.timedelta(hours=23)
    )
    entry.refresh_from_db()
    return entry


def state(entry):
    entry.refresh_from_db()
    hold = Hold.objects.get(pk=entry.hold_id)
    return entry.status, hold.status, Booking.objects.filter(listing=entry.listing).count()


# --- Joining ------------------------------------------------------------------------------


def test_the_request_forms_not_enough_desks_answer_offers_the_waitlist(client):
    listing = full_listing()
    client.force_login(UserFactory())
    data = {"desks": "1", "start": soon().isoformat(), "months": "2"}
    response = client.post(reverse("bookings:create", args=[listing.city.slug, listing.slug]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No desks are free" in html and "Join the waitlist for these desks" in html
    assert join_url(listing) in html
    # The button posts the same desks, start and term.
    response = client.post(join_url(listing), data)
    entry = WaitlistEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == entry.get_absolute_url()
    assert (entry.desks, entry.start, entry.months) == (1, soon(), 2)
    page = client.get(reverse("waitlist:mine")).content.decode()
    assert "Number <strong>1</strong> in line" in page


def test_a_request_refused_for_another_reason_offers_no_waitlist(client):
    listing = full_listing()
    client.force_login(UserFactory())
    data = {"desks": "1", "start": "2001-01-01", "months": "2"}
    response = client.post(reverse("bookings:create", args=[listing.city.slug, listing.slug]), data)
    assert "Join the waitlist for these desks" not in response.content.decode()


def test_the_listing_page_links_to_its_waitlist_for_everyone(client):
    listing = full_listing()
    response = client.get(listing.get_absolute_url())
    assert join_url(listing) in response.content.decode()
    assert client.get(join_url(listing)).status_code == 302  # log in first


def test_join_page_refusals_are_form_errors_not_500s(client):
    listing = full_listing()
    client.force_login(listing.host)
    own = client.post(join_url(listing), {"desks": "1", "start": soon(), "months": "1"})
    assert own.status_code == 400 and "your own space" in own.content.decode()
    client.force_login(UserFactory())
    for data in (
        {"desks": "x", "start": "garbage", "months": "1"},
        {"desks": "99999999999999999999", "start": soon(), "months": "1"},
        {"desks": "1", "start": "9999-12-31", "months": "1"},
        {"desks": "1", "start": soon(), "months": "-1"},
    ):
        assert client.post(join_url(listing), data).status_code == 400
    free = ListingFactory(desks=3)
    response = client.post(join_url(free), {"desks": "1", "start": soon(), "months": "1"})
    assert response.status_code == 400 and "Request these desks now" in response.content.decode()
    assert not WaitlistEntry.objects.exists()
    assert client.get(f"/spaces/{listing.city.slug}/no-such-space/waitlist/").status_code == 404


def test_joining_twice_points_at_the_place_already_held(client):
    listing = full_listing()
    guest = UserFactory()
    client.force_login(guest)
    data = {"desks": "1", "start": soon().isoformat(), "months": "1"}
    client.post(join_url(listing), data)
    response = client.post(join_url(listing), {**data, "desks": "2"})
    assert response.status_code == 302 and response["Location"] == reverse("waitlist:mine")
    assert WaitlistEntry.objects.count() == 1


def test_my_waitlists_page_runs_a_fixed_number_of_queries(client):
    guest = UserFactory()
    client.force_login(guest)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("waitlist:mine")).status_code == 200
        return len(ctx.captured_queries)

    WaitlistEntryFactory(guest=guest)
    one = count()
    for _ in range(8):
        listing = ListingFactory()
        WaitlistEntryFactory(listing=listing)
        WaitlistEntryFactory(listing=listing, guest=guest)
    assert count() == one


def test_leaving_the_line_from_the_page(client):
    entry = WaitlistEntryFactory()
    client.force_login(UserFactory())
    url = reverse("waitlist:leave", args=[entry.pk])
    assert client.post(url).status_code == 404  # someone else's place
    client.force_login(entry.guest)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.LEFT


# --- The offer link -------------------------------------------------------------------------


def test_the_offer_link_shows_the_offer_and_takes_it_up(client):
    entry = an_offer()
    client.force_login(entry.guest)
    page = client.get(offer_url(entry))
    assert page.status_code == 200 and "Take the desks" in page.content.decode()
    assert state(entry) == ("offered", "held", 0)  # a GET changes nothing
    response = client.post(offer_url(entry), {"action": "accept", "message": "See you!"})
    booking = Booking.objects.get(guest=entry.guest)
    assert response.status_code == 302 and response["Location"] == booking.get_absolute_url()
    assert booking.message == "See you!" and booking.is_pending
    assert state(entry) == ("booked", "held", 1)  # held for the request until it is answered


def test_the_offer_link_used_twice_is_gone_and_changes_nothing(client):
    entry = an_offer(instant_book=True)
    client.force_login(entry.guest)
    client.post(offer_url(entry), {"action": "accept"})
    before = state(entry)
    again = client.post(offer_url(entry), {"action": "accept"})
    assert again.status_code == 410
    assert client.post(offer_url(entry), {"action": "decline"}).status_code == 410
    assert client.get(offer_url(entry)).status_code == 410
    assert state(entry) == before == ("booked", "booked", 1)


def test_an_expired_offer_link_is_gone_and_changes_nothing(client):
    entry = an_offer()
    Hold.objects.filter(pk=entry.hold_id).update(expires_at=timezone.now() - DAY)
    client.force_login(entry.guest)
    response = client.post(offer_url(entry), {"action": "accept"})
    assert response.status_code == 410 and "lapsed" in response.content.decode()
    assert state(entry) == ("offered", "held", 0)


def test_someone_elses_or_a_forged_offer_link_is_a_404_and_changes_nothing(client):
    entry = an_offer()
    client.force_login(UserFactory())
    assert client.get(offer_url(entry)).status_code == 404
    assert client.post(offer_url(entry), {"action": "accept"}).status_code == 404
    assert client.post(offer_url(entry), {"action": "decline"}).status_code == 404
    client.force_login(entry.guest)
    listing = entry.listing
    forged = reverse("waitlist:offer", args=[listing.city.slug, listing.slug, "x" * 43])
    assert client.post(forged, {"action": "accept"}).status_code == 404
    huge = reverse("waitlist:offer", args=[listing.city.slug, listing.slug, "x" * 5000])
    assert client.get(huge).status_code == 404
    other = ListingFactory()
    elsewhere = reverse("waitlist:offer", args=[other.city.slug, other.slug, entry.token])
    assert client.post(elsewhere, {"action": "accept"}).status_code == 404
    assert client.post(offer_url(entry), {"action": "garbage"}).status_code == 400
    assert state(entry) == ("offered", "held", 0)


def test_the_offer_link_needs_login(client):
    entry = an_offer()
    response = client.post(offer_url(entry), {"action": "accept"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert state(entry) == ("offered", "held", 0)


def test_turning_the_offer_down_from_the_link(client):
    entry = an_offer()
    client.force_login(entry.guest)
    response = client.post(offer_url(entry), {"action": "decline"})
    assert response.status_code == 302
    assert state(entry) == ("declined", "declined", 0)


# --- The host ---------------------------------------------------------------------------------


def test_the_host_sees_the_waitlists_of_their_own_spaces_only(client):
    from accounts.services import host_enable

    listing = full_listing(desks=1)
    host = listing.host
    host_enable(user=host)  # the Hosts group and its permissions, as in production
    first = WaitlistEntryFactory(listing=listing, guest=UserFactory(name="Ada Lovelace"))
    WaitlistEntryFactory(listing=listing, guest=UserFactory(name="Grace Hopper"))
    stranger = WaitlistEntryFactory(guest=UserFactory(name="Someone Else"))
    client.force_login(host)
    page = client.get(reverse("host:waitlist_waitlistentry_changelist")).content.decode()
    assert "Ada Lovelace" in page and "Grace Hopper" in page and "Someone Else" not in page
    assert page.index("Ada Lovelace") < page.index("Grace Hopper")
    home = client.get(reverse("host:index")).content.decode()
    assert "Waiting for desks to free up" in home and "Ada Lovelace" in home
    url = reverse("host:waitlist_waitlistentry_change", args=[stranger.pk])
    assert client.get(url).status_code in (302, 404)
    assert (
        client.get(reverse("host:waitlist_waitlistentry_change", args=[first.pk])).status_code
        == 200
    )


def test_the_listing_page_shows_a_guest_their_place_and_a_visitor_nothing_of_it(client):
    listing = full_listing()
    WaitlistEntryFactory(listing=listing)
    mine = WaitlistEntryFactory(listing=listing, desks=2)
    client.force_login(mine.guest)
    page = client.get(listing.get_absolute_url()).content.decode()
    assert "You are number <strong>2</strong> in line here for 2 desks" in page
    client.logout()
    page = client.get(listing.get_absolute_url()).content.decode()
    assert "in line here" not in page and "Join the waitlist" in page
