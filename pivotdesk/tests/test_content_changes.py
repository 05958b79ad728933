"""The content version moves on every committed change that public pages show."""

import pytest
from django.contrib.auth.models import update_last_login
from django.core.wsgi import get_wsgi_application

from accounts.services import user_update
from accounts.tests.factories import UserFactory
from bookings.services import booking_approve, booking_decline
from bookings.tests.factories import BookingFactory
from listings.models import City, Listing
from listings.tests.factories import ListingFactory
from pivotdesk import pagecache
from pivotdesk.pagecache import PageCache

from .wsgi_util import wsgi_get


@pytest.mark.django_db
def test_version_moves_only_after_commit(django_capture_on_commit_callbacks):
    before = pagecache.content_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ListingFactory()
    assert pagecache.content_version() == before  # not yet committed
    for callback in callbacks:
        callback()
    assert pagecache.content_version() > before


@pytest.mark.django_db
def test_deletes_and_bulk_bump_helper(django_capture_on_commit_callbacks):
    listing = ListingFactory()
    before = pagecache.content_version()
    with django_capture_on_commit_callbacks(execute=True):
        listing.delete()
    assert pagecache.content_version() > before
    before = pagecache.content_version()
    City.objects.update(intro="New intro")  # no signal ...
    assert pagecache.content_version() == before
    pagecache.content_version_bump()  # ... so bulk writers call this
    assert pagecache.content_version() == before + 1
    assert Listing.objects.count() == 0


@pytest.fixture
def page_cache():
    return PageCache(get_wsgi_application())


@pytest.mark.django_db
def test_a_hosts_new_company_shows_on_the_cached_listing_page(
    page_cache, django_capture_on_commit_callbacks
):
    listing = ListingFactory(host__name="Anna Host", host__company="Old Desk Co")
    detail = listing.get_absolute_url()
    assert "Old Desk Co" in wsgi_get(page_cache, detail).text
    assert wsgi_get(page_cache, detail).header("X-Page-Cache") == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        user_update(user=listing.host, name="Anna Marsh", company="Flatiron Robotics")

    page = wsgi_get(page_cache, detail)
    assert page.header("X-Page-Cache") == "miss"
    assert "Flatiron Robotics" in page.text and "Anna Marsh" in page.text
    assert "Old Desk Co" not in page.text


@pytest.mark.django_db
def test_logins_and_guests_profiles_leave_cached_pages_alone(django_capture_on_commit_callbacks):
    host = ListingFactory().host
    guest = UserFactory()
    before = pagecache.content_version()
    with django_capture_on_commit_callbacks(execute=True):
        update_last_login(None, host)  # every login saves last_login
        user_update(user=guest, name="Gia", company="Not on any page")
        UserFactory()  # a sign-up
    assert pagecache.content_version() == before
    with django_capture_on_commit_callbacks(execute=True):
        host.phone = "303-555-0199"
        host.save(update_fields=["phone"])  # not shown on public pages
    assert pagecache.content_version() == before


@pytest.mark.django_db
def test_only_booking_changes_a_public_page_shows_bump_the_version(
    django_capture_on_commit_callbacks,
):
    listing = ListingFactory(desks=4)
    before = pagecache.content_version()
    with django_capture_on_commit_callbacks(execute=True):
        first, second = BookingFactory(listing=listing), BookingFactory(listing=listing)
        booking_decline(booking=first, host=listing.host)
    assert pagecache.content_version() == before  # requests and declines: no public change
    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=second, host=listing.host)  # fewer free desks on the page
    assert pagecache.content_version() > before


@pytest.mark.django_db
def test_public_content_changed_bumps_on_commit(django_capture_on_commit_callbacks):
    before = pagecache.content_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pagecache.public_content_changed()
    assert pagecache.content_version() == before
    for callback in callbacks:
        callback()
    assert pagecache.content_version() == before + 1
