"""How fast a host answers: the median time and share answered over 90 days, kept on the
listings for cards and pages, refreshed by the clock and when a request is answered."""

import datetime

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings import services
from bookings.answers import host_answer_stats, host_answers_refresh
from bookings.models import Booking, BookingEvent
from bookings.tasks import bookings_host_answers_refresh
from bookings.tests.factories import BookingFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from pivotdesk.pagecache import PageCache
from pivotdesk.tests.wsgi_util import wsgi_get

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def answered(listing, *, after, status=Booking.Status.APPROVED, ago=HOUR * 24, actor="host"):
    """A request made ``ago`` ago and answered ``after`` it was made."""
    booking = BookingFactory(listing=listing, status=status)
    asked = timezone.now() - ago
    Booking.objects.filter(pk=booking.pk).update(created_at=asked)
    event = BookingEvent.objects.create(
        booking=booking,
        from_status=Booking.Status.REQUESTED,
        to_status=status,
        actor=listing.host if actor == "host" else None,
    )
    BookingEvent.objects.filter(pk=event.pk).update(at=asked + after)
    return booking


def test_median_and_share_over_the_last_90_days():
    listing = ListingFactory()
    answered(listing, after=HOUR)
    answered(listing, after=HOUR * 3, status=Booking.Status.DECLINED)
    answered(listing, after=HOUR * 5)
    answered(listing, after=HOUR * 72, status=Booking.Status.EXPIRED, actor=None)
    answered(listing, after=HOUR * 100, ago=datetime.timedelta(days=91))  # too old
    answered(listing, after=datetime.timedelta(0), actor=None)  # instant book: no answer due
    other = ListingFactory()
    answered(other, after=HOUR * 30)
    stats = host_answer_stats()
    # 4 requests needed an answer; 3 were answered in 1, 3 and 5 hours.
    assert stats[listing.host_id] == (4, 180, 75)
    assert stats[other.host_id] == (1, 1800, 100)


def test_the_badge_shows_from_three_requests_on_cards_and_pages(
    client, django_capture_on_commit_callbacks
):
    listing = ListingFactory(title="Fast host")
    answered(listing, after=HOUR * 2)
    answered(listing, after=HOUR * 3)
    host_answers_refresh()
    assert Listing.objects.get(pk=listing.pk).answer_badge == ""  # two requests: no badge
    assert "Usually answers" not in client.get("/spaces/").text
    answered(listing, after=HOUR * 4)
    with django_capture_on_commit_callbacks(execute=True):
        bookings_host_answers_refresh.call()  # the clock's hourly job
    listing.refresh_from_db()
    assert listing.answer_badge == "Usually answers within 3 hours"
    assert "Usually answers within 3 hours" in client.get("/spaces/").text  # the card
    page = client.get(listing.get_absolute_url()).text
    assert "Usually answers within 3 hours · answered 100% of 3 requests" in page


@pytest.mark.parametrize(
    ("minutes", "badge"),
    [
        (5, "Usually answers within an hour"),
        (61, "Usually answers within 2 hours"),
        (240, "Usually answers within 4 hours"),
        (23 * 60 + 1, "Usually answers within a day"),
        (50 * 60, "Usually answers within 3 days"),
    ],
)
def test_badge_words(minutes, badge):
    listing = Listing(answer_requests=3, answer_median_minutes=minutes)
    assert listing.answer_badge == badge


def test_answering_a_request_refreshes_the_figures_through_a_job(run_jobs):
    listing = ListingFactory()
    for _ in range(3):
        answered(listing, after=HOUR * 2)
    booking = BookingFactory(listing=listing)
    services.booking_approve(booking=booking, host=listing.host)
    run_jobs()
    listing.refresh_from_db()
    assert listing.answer_requests == 4 and listing.answer_share_percent == 100
    assert listing.answer_badge.startswith("Usually answers within")


def test_figures_leave_with_the_window_and_a_changed_badge_reaches_cached_pages(
    django_capture_on_commit_callbacks,
):
    page_cache = PageCache(get_wsgi_application())
    listing = ListingFactory()
    url = listing.get_absolute_url()
    for _ in range(3):
        answered(listing, after=HOUR * 4)
    assert "Usually answers" not in wsgi_get(page_cache, url).text
    with django_capture_on_commit_callbacks(execute=True):
        assert host_answers_refresh() == 1
    assert "Usually answers within 4 hours" in wsgi_get(page_cache, url).text
    with django_capture_on_commit_callbacks(execute=True):
        assert host_answers_refresh() == 0  # nothing changed: pages stay cached
    Booking.objects.update(created_at=timezone.now() - datetime.timedelta(days=95))
    with django_capture_on_commit_callbacks(execute=True):
        assert host_answers_refresh() == 1
    listing.refresh_from_db()
    assert (listing.answer_requests, listing.answer_median_minutes) == (0, None)
    assert "Usually answers" not in wsgi_get(page_cache, url).text


def test_cards_cost_no_query_for_the_badge(client, django_capture_on_commit_callbacks):
    def hosts(numbers):
        for n in numbers:
            listing = ListingFactory(title=f"Host {n}")
            for _ in range(3):
                answered(listing, after=HOUR * (n + 1))
        with django_capture_on_commit_callbacks(execute=True):
            host_answers_refresh()

    def search():
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/spaces/?city=boulder").text
        return len(queries), page.count("Usually answers within")

    hosts(range(2))
    few, badges = search()
    assert badges == 2
    hosts(range(2, 8))
    assert search() == (few, 8)
