"""The content version moves on every committed change that public pages show."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models.signals import post_save

from listings.models import City, Listing
from listings.tests.factories import ListingFactory
from pivotdesk import cache_signals, pagecache


def booking_model():
    try:
        return apps.get_model("bookings", "Booking")
    except LookupError:
        return None


def test_connecting_works_with_or_without_a_booking_model():
    connected = cache_signals.connect()  # again: dispatch_uid keeps it to one receiver
    assert {"listings.Listing", "listings.Photo", "listings.City"} <= set(connected)
    assert ("bookings.Booking" in connected) == (booking_model() is not None)
    if booking_model() is not None:
        assert post_save.has_listeners(booking_model())
    call_command("check")  # no dangling lazy reference to a missing model


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
