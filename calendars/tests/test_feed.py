import datetime

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import HostFactory, UserFactory
from bookings.models import Booking
from bookings.services import (
    booking_approve,
    booking_cancel,
    booking_end_by_operator,
    booking_request,
)
from bookings.tests.factories import BookingFactory
from calendars.models import CalendarFeed
from calendars.selectors import FEED_SOURCES, CalendarEvent
from calendars.services import calendar_feed_get_or_create, calendar_feed_rotate
from listings.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def host():
    return HostFactory(name="Hana Host")


@pytest.fixture
def listing(host):
    return ListingFactory(host=host, title="Pearl Loft", desks=8)


def _path(feed: CalendarFeed) -> str:
    return feed.get_absolute_url()


def _events(response) -> dict[str, icalendar.Event]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_shows_bookings_notice_dates_and_answer_by_times(host, listing):
    today = timezone.localdate()
    guest = UserFactory(name="Gail Guest", company="Rocket")
    running = BookingFactory(
        listing=listing,
        guest=guest,
        desks=3,
        start=today - datetime.timedelta(days=40),
        months=6,
        status=Booking.Status.APPROVED,
    )
    booking_cancel(booking=running, by=guest)  # 30 days' notice
    running.refresh_from_db()
    pending = booking_request(
        guest=UserFactory(name="Pat", company="Team 2 Labs"),
        listing=listing,
        desks=2,
        start=today + datetime.timedelta(9),
        months=2,
    )
    BookingFactory(listing=listing, status=Booking.Status.DECLINED)  # not in the feed
    BookingFactory(status=Booking.Status.APPROVED)  # another host's: not in the feed

    feed = calendar_feed_get_or_create(host=host)
    events = _events(Client().get(_path(feed)))
    assert len(events) == 3
    stay = next(e for uid, e in events.items() if uid.startswith(f"booking-{running.pk}@"))
    assert stay["SUMMARY"] == "3 desks: Gail Guest (Rocket) at Pearl Loft"
    assert stay.decoded("DTSTART") == running.start
    assert stay.decoded("DTEND") == running.end == today + datetime.timedelta(days=30)
    notice = next(e for uid, e in events.items() if uid.startswith(f"booking-{running.pk}-notice"))
    assert notice.decoded("DTSTART") == today
    answer = next(e for uid, e in events.items() if uid.startswith(f"request-{pending.pk}-"))
    assert answer.decoded("DTEND") == pending.answer_by.replace(microsecond=0)
    assert answer["SUMMARY"].startswith("Answer by: Pat (Team 2 Labs) asks for 2 desks")


def test_a_booking_ended_by_pivotdesk_is_not_shown_as_the_guests_notice(host, listing):
    today = timezone.localdate()
    running = BookingFactory(
        listing=listing,
        guest=UserFactory(name="Gail Guest", company=""),
        start=today - datetime.timedelta(days=40),
        months=6,
        status=Booking.Status.APPROVED,
    )
    booking_end_by_operator(
        booking=running,
        by=UserFactory(is_staff=True, is_superuser=True),
        reason="Flooded.",
        end=today + datetime.timedelta(days=3),
    )
    events = _events(Client().get(_path(calendar_feed_get_or_create(host=host))))
    (ended,) = (e for uid, e in events.items() if uid.startswith(f"booking-{running.pk}-notice"))
    assert str(ended["SUMMARY"]).startswith("Ended by PivotDesk: Gail Guest leaves Pearl Loft")


def test_a_second_poll_costs_no_query_and_an_approval_shows_on_the_next(
    host, listing, django_assert_num_queries, django_capture_on_commit_callbacks
):
    feed = calendar_feed_get_or_create(host=host)
    client = Client()
    request = booking_request(
        guest=UserFactory(),
        listing=listing,
        desks=2,
        start=timezone.localdate() + datetime.timedelta(days=5),
        months=3,
    )
    first = client.get(_path(feed))
    with django_assert_num_queries(0):
        second = client.get(_path(feed))
    assert second.content == first.content
    assert f"booking-{request.pk}@" not in first.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        booking_approve(booking=request, host=host)
    third = client.get(_path(feed))
    assert f"booking-{request.pk}@" in third.content.decode()
    with django_assert_num_queries(0):
        assert client.get(_path(feed)).content == third.content


def test_a_listing_renamed_shows_on_the_next_poll(
    host, listing, django_capture_on_commit_callbacks
):
    BookingFactory(listing=listing, status=Booking.Status.APPROVED)
    feed = calendar_feed_get_or_create(host=host)
    assert b"Pearl Loft" in Client().get(_path(feed)).content
    with django_capture_on_commit_callbacks(execute=True):
        listing.title = "Walnut Studio"
        listing.save()
    assert b"Walnut Studio" in Client().get(_path(feed)).content


def test_rotating_the_secret_makes_the_old_url_404_even_when_cached(
    host, listing, django_capture_on_commit_callbacks
):
    feed = calendar_feed_get_or_create(host=host)
    old = _path(feed)
    client = Client()
    assert client.get(old).status_code == 200
    assert client.get(old).status_code == 200  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        rotated = calendar_feed_rotate(host=host)
    assert client.get(old).status_code == 404
    assert _path(rotated) != old
    assert client.get(_path(rotated)).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        "nope",
        "A" * 43,
        "a" * 64,
        "a" * 5000,
        "%00" * 30,
        "..%2E..%2E",
        "' OR 1=1 --",
        "\u202e" * 30,
    ],
)
def test_wrong_and_malformed_tokens_are_404(host, token):
    calendar_feed_get_or_create(host=host)
    response = Client().get(f"/host/calendar/{token}.ics")
    assert response.status_code == 404


def test_a_token_off_by_one_character_is_404(host):
    feed = calendar_feed_get_or_create(host=host)
    tampered = feed.token[:-1] + ("A" if feed.token[-1] != "A" else "B")
    assert Client().get(f"/host/calendar/{tampered}.ics").status_code == 404
    assert Client().post(_path(feed)).status_code == 405


def test_a_head_request_answers_as_the_get_does_without_the_body(host, listing):
    """Calendar apps and link checkers ask HEAD before they subscribe or poll."""
    feed = calendar_feed_get_or_create(host=host)
    client = Client()
    response = client.head(_path(feed))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    assert response.content == b""
    assert client.head("/host/calendar/" + "a" * 43 + ".ics").status_code == 404


def test_the_host_sees_and_rotates_the_address_in_host_admin(host):
    client = Client()
    client.force_login(host)
    assert "/host/calendar/" in client.get("/host/").content.decode()
    page = client.get("/host/calendar/").content.decode()
    feed = CalendarFeed.objects.get(host=host)
    assert f"http://127.0.0.1:8000/host/calendar/{feed.token}.ics" in page
    assert client.get("/host/calendar/rotate/").status_code == 405
    response = client.post("/host/calendar/rotate/")
    assert response.status_code == 302
    assert CalendarFeed.objects.get(host=host).token != feed.token


def test_guests_and_visitors_have_no_calendar_page(host):
    guest = UserFactory()
    client = Client()
    client.force_login(guest)
    for c in (client, Client()):
        response = c.get("/host/calendar/")
        assert response.status_code == 302 and "/host/login/" in response["Location"]
        assert c.post("/host/calendar/rotate/").status_code == 302
    assert not CalendarFeed.objects.exists()


def test_one_more_source_is_one_more_function(host, listing, monkeypatch):
    """Anything dated joins the feed by adding a source to FEED_SOURCES."""
    start = timezone.make_aware(datetime.datetime(2027, 5, 4, 10, 0))

    def open_days(host_, today):
        yield CalendarEvent(
            uid="open-day-1@test",
            summary="Open day",
            start=start,
            end=start + datetime.timedelta(minutes=30),
            stamp=start,
        )

    monkeypatch.setattr("calendars.selectors.FEED_SOURCES", [*FEED_SOURCES, open_days])
    feed = calendar_feed_get_or_create(host=host)
    assert "open-day-1@test" in _events(Client().get(_path(feed)))


def test_the_secret_is_masked_in_the_request_log(host):
    from pivotdesk.requestlog import masked_path

    feed = calendar_feed_get_or_create(host=host)
    assert feed.token not in masked_path(_path(feed))
    assert masked_path(_path(feed)) == "/host/calendar/***.ics"


def test_booked_tours_are_in_the_feed_and_a_cancelled_one_leaves_on_the_next_poll(
    host, listing, django_capture_on_commit_callbacks
):
    from tours.models import Tour
    from tours.services import tour_cancel
    from tours.tests.factories import TourFactory

    guest = UserFactory(name="Tess Tour", company="")
    tour = TourFactory(listing=listing, guest=guest, desks=3)
    TourFactory(listing=listing, status=Tour.Status.CANCELLED, starts_at=tour.ends_at)
    feed = calendar_feed_get_or_create(host=host)
    events = _events(Client().get(_path(feed)))
    [event] = [e for uid, e in events.items() if uid.startswith("tour-")]
    assert event["SUMMARY"] == "Tour: Tess Tour at Pearl Loft"
    assert event.decoded("DTSTART") == tour.starts_at
    assert event.decoded("DTEND") == tour.ends_at
    with django_capture_on_commit_callbacks(execute=True):
        tour_cancel(tour=tour, by=guest, now=tour.starts_at - datetime.timedelta(days=3))
    events = _events(Client().get(_path(feed)))
    assert not [uid for uid in events if uid.startswith("tour-")]
