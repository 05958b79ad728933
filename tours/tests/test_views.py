"""The tour pages: the listing's tour section (anonymous: hours only, cached and shared;
logged in: free slots and one's own tours), booking, moving, cancelling, the afternoon
planner and "your tours" — and forged input answered with a form error or a 4xx."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import host_enable
from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory, NeighborhoodFactory
from tours import services
from tours.forms import slot_value
from tours.models import Tour, TourAfternoon

from .factories import TourHoursFactory, open_every_day
from .helpers import days_ahead, local, move_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing():
    host = host_enable(user=UserFactory(email="hana@hosts.test"))
    return open_every_day(ListingFactory(host=host, desks=8, title="Loft on Pearl"))


@pytest.fixture
def guest_client(client):
    guest = UserFactory(email="gia@guests.test")
    client.force_login(guest)
    client.guest = guest
    return client


def url(listing, rest=""):
    return f"{listing.get_absolute_url()}tours/{rest}"


def post_tour(client, listing, at, **data):
    return client.post(
        url(listing),
        {"starts_at": slot_value(at), "desks": 3, "move_in": move_in().isoformat(), **data},
    )


def test_the_anonymous_listing_page_shows_hours_and_nothing_personal(client, listing):
    response = client.get(listing.get_absolute_url())
    html = response.content.decode()
    assert "book a tour" in html and "9:00 AM–5:00 PM" in html
    assert "Log in to pick a time" in html
    assert 'name="starts_at"' not in html and "csrfmiddlewaretoken" not in html
    assert "Cookie" not in response.get("Vary", "")


def test_a_listing_without_hours_has_no_tour_section(client):
    other = ListingFactory()
    assert "book a tour" not in client.get(other.get_absolute_url()).content.decode()


def test_the_logged_in_listing_page_asks_a_constant_number_of_queries(guest_client, listing):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert guest_client.get(listing.get_absolute_url()).status_code == 200
        return len(queries)

    count()  # the first request also reads the search form's choices (then kept)
    few = count()
    for hour in (10, 11, 12):
        services.tour_book(
            guest=UserFactory(),
            listing=listing,
            starts_at=local(days_ahead(2), hour),
            desks=1,
            move_in=move_in(),
        )
    TourHoursFactory(listing=listing, weekday=0, starts=datetime.time(18), ends=datetime.time(20))
    assert count() == few


def test_a_guest_picks_a_slot_on_the_listing_page_and_books_it(guest_client, listing):
    html = guest_client.get(listing.get_absolute_url()).content.decode()
    at = local(days_ahead(2), 10, 30)
    assert f'value="{slot_value(at)}"' in html
    response = post_tour(guest_client, listing, at)
    tour = Tour.objects.get()
    assert response.status_code == 302 and response["Location"] == tour.get_absolute_url()
    assert (tour.guest, tour.desks, tour.move_in) == (guest_client.guest, 3, move_in())
    page = guest_client.get(listing.get_absolute_url()).content.decode()
    assert "Your tour:" in page and f'value="{slot_value(at)}"' not in page
    detail = guest_client.get(tour.get_absolute_url()).content.decode()
    assert "10:30 AM" in detail and "Cancel the tour" in detail


def test_a_taken_slot_is_a_clear_message_not_an_error(guest_client, listing):
    at = local(days_ahead(2), 10)
    services.tour_book(
        guest=UserFactory(), listing=listing, starts_at=at, desks=1, move_in=move_in()
    )
    response = post_tour(guest_client, listing, at)
    assert response.status_code == 400
    assert "Someone has just booked" in response.content.decode()
    assert Tour.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"starts_at": "garbage"},
        {"starts_at": "2030-01-07T17:15:00Z"},  # off the grid
        {"starts_at": "2020-01-07T17:00:00Z"},  # past
        {"starts_at": "9999-12-31T23:30:00Z"},
        {"starts_at": "x" * 5000},
        {"starts_at": ""},
        {"desks": "-1"},
        {"desks": "99999999999999999999"},
        {"desks": "abc"},
        {"move_in": "2020-13-45"},
        {"move_in": "1999-01-01"},
    ],
)
def test_forged_tour_posts_are_form_errors(guest_client, listing, data):
    response = post_tour(guest_client, listing, local(days_ahead(2), 10), **data)
    assert response.status_code == 400
    assert not Tour.objects.exists()


def test_booking_needs_a_login(client, listing):
    response = post_tour(client, listing, local(days_ahead(2), 10))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Tour.objects.exists()


def test_unpublished_or_unknown_listings_are_404(guest_client, listing):
    assert guest_client.get("/spaces/boulder/no-such-space/tours/").status_code == 404
    listing.status = "draft"
    listing.save()
    assert post_tour(guest_client, listing, local(days_ahead(2), 10)).status_code == 404


def test_another_guests_tour_is_404_for_every_action(guest_client, listing):
    theirs = services.tour_book(
        guest=UserFactory(),
        listing=listing,
        starts_at=local(days_ahead(2), 10),
        desks=1,
        move_in=move_in(),
    )
    for path in ("", "cancel/", "move/"):
        assert guest_client.get(url(listing, f"{theirs.pk}/{path}")).status_code in (404, 405)
        assert guest_client.post(url(listing, f"{theirs.pk}/{path}")).status_code == 404
    assert guest_client.get(url(listing, "99999999999999999999/")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_booked and theirs.sequence == 0


def test_the_guest_moves_and_cancels_on_the_tour_page(guest_client, listing):
    post_tour(guest_client, listing, local(days_ahead(2), 10))
    tour = Tour.objects.get()
    page = guest_client.get(url(listing, f"{tour.pk}/move/")).content.decode()
    later = local(days_ahead(3), 15)
    assert f'value="{slot_value(later)}"' in page
    response = guest_client.post(url(listing, f"{tour.pk}/move/"), {"starts_at": "nonsense"})
    assert response.status_code == 400
    response = guest_client.post(url(listing, f"{tour.pk}/move/"), {"starts_at": slot_value(later)})
    assert response.status_code == 302
    tour.refresh_from_db()
    assert tour.starts_at == later and tour.sequence == 1
    guest_client.post(url(listing, f"{tour.pk}/cancel/"))
    tour.refresh_from_db()
    assert tour.status == Tour.Status.CANCELLED
    again = guest_client.post(url(listing, f"{tour.pk}/cancel/"), follow=True)
    assert "was cancelled" in again.content.decode()


def test_booking_and_moving_tours_is_rate_limited_and_cancelling_is_not(guest_client, listing):
    """Each booking or move emails the host: one budget per member (20 an hour) keeps a tour
    from being a way to fill a host's inbox. A cancellation frees the slot and is never held
    back."""
    post_tour(guest_client, listing, local(days_ahead(2), 10))
    tour = Tour.objects.get()
    move = url(listing, f"{tour.pk}/move/")
    times = [local(days_ahead(3), 10), local(days_ahead(3), 11)]
    for n in range(19):
        response = guest_client.post(move, {"starts_at": slot_value(times[n % 2])})
        assert response.status_code == 302, n
    tour.refresh_from_db()
    sequence, starts_at = tour.sequence, tour.starts_at
    response = guest_client.post(move, {"starts_at": slot_value(local(days_ahead(4), 10))})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many tour changes" in response.content.decode()
    tour.refresh_from_db()
    assert (tour.sequence, tour.starts_at) == (sequence, starts_at)
    other = open_every_day(ListingFactory(title="Garage desks"))
    assert post_tour(guest_client, other, local(days_ahead(5), 10)).status_code == 429
    assert not Tour.objects.filter(listing=other).exists()
    assert guest_client.post(url(listing, f"{tour.pk}/cancel/")).status_code == 302
    tour.refresh_from_db()
    assert tour.status == Tour.Status.CANCELLED


def test_the_tour_rate_is_read_from_the_setting(guest_client, listing, settings):
    settings.TOUR_CHANGE_RATE = "1/h"
    assert post_tour(guest_client, listing, local(days_ahead(2), 10)).status_code == 302
    tour = Tour.objects.get()
    response = guest_client.post(
        url(listing, f"{tour.pk}/move/"), {"starts_at": slot_value(local(days_ahead(3), 10))}
    )
    assert response.status_code == 429


def test_after_the_tour_the_request_form_is_prefilled(guest_client, listing):
    tour = Tour.objects.create(
        listing=listing,
        guest=guest_client.guest,
        starts_at=timezone.now() - datetime.timedelta(days=1),
        ends_at=timezone.now() - datetime.timedelta(days=1, minutes=-30),
        desks=5,
        move_in=move_in(),
        scheduled_at=timezone.now() - datetime.timedelta(days=3),
    )
    link = f"{listing.get_absolute_url()}book/?desks=5&amp;move_in={move_in().isoformat()}"
    for page in (tour.get_absolute_url(), "/accounts/tours/", listing.get_absolute_url()):
        assert link in guest_client.get(page).content.decode(), page
    form = guest_client.get(link.replace("&amp;", "&")).context["form"]
    assert form.initial["desks"] == 5 and form.initial["start"] == move_in()


def test_your_tours_lists_only_your_own(guest_client, listing):
    mine = services.tour_book(
        guest=guest_client.guest,
        listing=listing,
        starts_at=local(days_ahead(2), 10),
        desks=1,
        move_in=move_in(),
    )
    services.tour_book(
        guest=UserFactory(),
        listing=open_every_day(ListingFactory(title="Someone else's")),
        starts_at=local(days_ahead(2), 10),
        desks=1,
        move_in=move_in(),
    )
    response = guest_client.get("/accounts/tours/")
    html = response.content.decode()
    assert mine.get_absolute_url() in html and "Someone else" not in html
    assert "private" in response["Cache-Control"]


def test_the_host_sees_the_tour_page_without_the_request_link(client, listing):
    tour = services.tour_book(
        guest=UserFactory(name="Gia Guest", company="Gia Labs"),
        listing=listing,
        starts_at=local(days_ahead(2), 10),
        desks=4,
        move_in=move_in(),
    )
    client.force_login(listing.host)
    html = client.get(tour.get_absolute_url()).content.decode()
    assert "Gia Guest (Gia Labs)" in html and "4 desks" in html
    assert "book/?desks" not in html


@pytest.fixture
def three_spaces(listing):
    other = open_every_day(ListingFactory(title="Garage desks"))
    rino = NeighborhoodFactory(city__name="Denver", name="RiNo")
    denver = open_every_day(ListingFactory(title="RiNo loft", neighborhood=rino))
    return listing, other, denver


def test_a_guest_plans_and_books_an_afternoon_of_three_spaces(guest_client, three_spaces):
    first, other, denver = three_spaces
    planner = url(first, "afternoon/")
    day = days_ahead(3).isoformat()
    query = {"spaces": [first.pk, other.pk, denver.pk], "day": day}
    response = guest_client.get(planner, query)
    assert response.status_code == 200
    plans = response.context["plans"]
    assert plans
    value, legs = plans[0]
    assert {leg.listing for leg in legs} == set(three_spaces)
    response = guest_client.post(
        planner, {"plan": value, "desks": 2, "move_in": move_in().isoformat(), **query}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/tours/"
    afternoon = TourAfternoon.objects.get()
    assert afternoon.tours.count() == 3
    assert set(afternoon.tours.values_list("desks", flat=True)) == {2}


@pytest.mark.parametrize(
    "plan",
    [
        "garbage",
        "1@2030-01-07T17:00:00Z",
        ",".join(["1@2030-01-07T17:00:00Z"] * 6),
        "99999999@2030-01-07T17:00:00Z,99999998@2030-01-07T18:00:00Z",
        "x" * 5000,
    ],
)
def test_forged_afternoon_plans_book_nothing(guest_client, three_spaces, plan):
    response = guest_client.post(
        url(three_spaces[0], "afternoon/"),
        {"plan": plan, "desks": 1, "move_in": move_in().isoformat()},
    )
    assert response.status_code in (400, 404)
    assert not Tour.objects.exists() and not TourAfternoon.objects.exists()


def test_a_forged_plan_with_an_unpublished_space_tells_nothing_of_it(guest_client, three_spaces):
    """A draft's id in a forged plan answers as an id no space has: its title, and whether it
    exists, stay the host's."""
    first, _, _ = three_spaces
    draft = open_every_day(
        ListingFactory(title="Secret stealth office", status=Listing.Status.DRAFT)
    )
    day = days_ahead(3)
    answers = []
    for pk in (draft.pk, 99_999_999):
        plan = f"{first.pk}@{slot_value(local(day, 10))},{pk}@{slot_value(local(day, 12))}"
        response = guest_client.post(
            url(first, "afternoon/"), {"plan": plan, "desks": 1, "move_in": move_in().isoformat()}
        )
        assert "Secret stealth office" not in response.content.decode()
        answers.append(response.status_code)
    assert answers == [404, 404]
    assert not Tour.objects.exists() and not TourAfternoon.objects.exists()


def test_a_forged_plan_off_the_grid_is_a_form_error(guest_client, three_spaces):
    first, other, _ = three_spaces
    day = days_ahead(3)
    plan = f"{first.pk}@{slot_value(local(day, 10, 10))},{other.pk}@{slot_value(local(day, 12))}"
    response = guest_client.post(
        url(first, "afternoon/"), {"plan": plan, "desks": 1, "move_in": move_in().isoformat()}
    )
    assert response.status_code == 400
    assert "Nothing was booked" in response.content.decode()
    assert not Tour.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"spaces": ["1"], "day": "2030-01-01"},
        {"spaces": ["abc"], "day": "x"},
        {"day": "9999-99-99"},
        {"spaces": [str(n) for n in range(1, 8)], "day": "2030-01-01"},
    ],
)
def test_forged_planner_queries_are_form_errors(guest_client, three_spaces, query):
    response = guest_client.get(url(three_spaces[0], "afternoon/"), query)
    assert response.status_code == 400
    assert response.context["plans"] == []


@pytest.mark.parametrize("space", ["99999999999999999999999", "-1", "1.5", "١"])
def test_planner_space_ids_no_database_can_hold_are_form_errors(guest_client, three_spaces, space):
    response = guest_client.get(url(three_spaces[0], "afternoon/"), {"spaces": [space], "day": "x"})
    assert response.status_code == 400
