"""Hosts in /host/: tour hours and days off for their own listings, their tours (upcoming
first), moved and cancelled through the services. Another host's rows are out of reach."""

import datetime

import pytest
from django.utils import timezone

from accounts.services import host_enable
from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory
from tours import services
from tours.forms import slot_value
from tours.models import Tour, TourDayOff, TourHours
from tours.selectors import tour_upcoming_days

from .factories import TourFactory, open_every_day
from .helpers import days_ahead, local, move_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def host():
    return host_enable(user=UserFactory(email="hana@hosts.test"))


@pytest.fixture
def other_host():
    return host_enable(user=UserFactory(email="otto@hosts.test"))


@pytest.fixture
def host_client(client, host):
    client.force_login(host)
    return client


def tour_on(listing, hour=10, day=2):
    return services.tour_book(
        guest=UserFactory(name="Gia Guest"),
        listing=listing,
        starts_at=local(days_ahead(day), hour),
        desks=2,
        move_in=move_in(),
    )


def test_a_host_sets_tour_hours_for_their_own_listing(host_client, host, other_host):
    mine = ListingFactory(host=host)
    theirs = ListingFactory(host=other_host)
    add = "/host/tours/tourhours/add/"
    form = host_client.get(add).context["adminform"].form
    assert list(form.fields["listing"].queryset) == [mine]
    data = {"listing": mine.pk, "weekday": 1, "starts": "10:00", "ends": "12:00"}
    assert host_client.post(add, data).status_code == 302
    assert TourHours.objects.get().listing == mine
    for bad in (
        {"listing": theirs.pk},
        {"starts": "10:15"},
        {"ends": "09:00"},
        {"starts": "11:00", "ends": "13:00"},  # overlaps 10-12
        {"weekday": 9},
        {"starts": "25:99"},
    ):
        response = host_client.post(add, {**data, **bad})
        assert response.status_code == 200 and response.context["adminform"].form.errors, bad
    assert TourHours.objects.count() == 1


def test_a_host_adds_a_day_off_and_it_closes_the_day(host_client, host):
    mine = open_every_day(ListingFactory(host=host))
    day = days_ahead(5)
    response = host_client.post(
        "/host/tours/tourdayoff/add/",
        {"listing": mine.pk, "day": day.isoformat(), "note": "Offsite"},
    )
    assert response.status_code == 302
    assert TourDayOff.objects.get().day == day
    assert day not in [d for d, _ in tour_upcoming_days(listing=mine)]


def test_a_host_sees_upcoming_tours_of_their_own_listings(host_client, host, other_host):
    mine = open_every_day(ListingFactory(host=host, title="Mine"))
    theirs = open_every_day(ListingFactory(host=other_host, title="Theirs"))
    tour_on(mine)
    tour_on(theirs)
    past = Tour.objects.create(
        listing=mine,
        guest=UserFactory(),
        starts_at=timezone.now() - datetime.timedelta(days=2),
        ends_at=timezone.now() - datetime.timedelta(days=2, minutes=-30),
        desks=1,
        move_in=move_in(),
        scheduled_at=timezone.now() - datetime.timedelta(days=5),
    )
    response = host_client.get("/host/tours/tour/")
    shown = list(response.context["cl"].result_list)
    assert [t.listing for t in shown] == [mine]
    assert "Gia Guest" in response.content.decode()
    past_list = list(host_client.get("/host/tours/tour/?when=past").context["cl"].result_list)
    assert past_list == [past]
    by_listing = host_client.get(f"/host/tours/tour/?listing__id__exact={mine.pk}")
    assert len(by_listing.context["cl"].result_list) == 1


def test_a_host_moves_and_cancels_a_tour_in_host_admin(host_client, host):
    mine = open_every_day(ListingFactory(host=host))
    tour = tour_on(mine)
    move = f"/host/tours/tour/{tour.pk}/move/"
    later = local(days_ahead(3), 15)
    page = host_client.get(move)
    assert page.status_code == 200 and slot_value(later) in page.content.decode()
    assert host_client.post(move, {"starts_at": "2030-01-07T17:10:00Z"}).status_code == 400
    assert host_client.post(move, {"starts_at": slot_value(later)}).status_code == 302
    tour.refresh_from_db()
    assert tour.starts_at == later and tour.sequence == 1
    host_client.post(move, {"cancel": "1"})
    tour.refresh_from_db()
    assert tour.status == Tour.Status.CANCELLED and tour.cancelled_by == host


def test_the_cancel_action_cancels_only_the_hosts_own_tours(host_client, host, other_host):
    mine = tour_on(open_every_day(ListingFactory(host=host)))
    theirs = tour_on(open_every_day(ListingFactory(host=other_host)))
    host_client.post(
        "/host/tours/tour/",
        {"action": "cancel_tours", "_selected_action": [mine.pk, theirs.pk]},
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Tour.Status.CANCELLED
    assert theirs.is_booked


def test_another_hosts_tours_and_hours_are_404(host_client, other_host):
    theirs = open_every_day(ListingFactory(host=other_host))
    tour = tour_on(theirs)
    hours = TourHours.objects.filter(listing=theirs).first()
    assert host_client.get(f"/host/tours/tour/{tour.pk}/move/").status_code == 404
    assert host_client.post(f"/host/tours/tour/{tour.pk}/move/", {"cancel": "1"}).status_code == 404
    assert host_client.get("/host/tours/tour/99999999999/move/").status_code == 404
    response = host_client.get(f"/host/tours/tourhours/{hours.pk}/change/")
    assert response.status_code == 302  # the admin's "no such object": back to the list
    tour.refresh_from_db()
    assert tour.is_booked


def test_operators_tour_hours_edits_refresh_public_pages_too(
    client, django_capture_on_commit_callbacks
):
    from pivotdesk.pagecache import content_version

    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    listing = ListingFactory()
    before = content_version()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/tours/tourhours/add/",
            {"listing": listing.pk, "weekday": 2, "starts": "09:00", "ends": "10:00"},
        )
    assert response.status_code == 302
    assert TourHours.objects.get().listing == listing
    assert content_version() > before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_day_off_saves_one_and_the_second_is_told_not_a_500(postgres_only):
    """Both posts pass the form before either row is in; the database refuses the second
    day off: the host is told, and the page is never a 500."""
    import threading

    from django.db import connection, transaction
    from django.test import Client

    from tests.locks import until_sessions_wait

    host = host_enable(user=UserFactory())
    mine = ListingFactory(host=host)
    day = days_ahead(5)
    data = {"listing": mine.pk, "day": day.isoformat(), "note": "Offsite"}
    answers = []

    def post():
        client = Client(raise_request_exception=False)
        client.force_login(host)
        try:
            answers.append(client.post("/host/tours/tourdayoff/add/", data, follow=True))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    # A row for that day, not yet committed: both posts pass their checks, then wait on it.
    with transaction.atomic():
        TourDayOff.objects.create(listing=mine, day=day)
        for waiting, thread in enumerate(threads, start=1):
            thread.start()
            until_sessions_wait(waiting)
        transaction.set_rollback(True)
    for thread in threads:
        thread.join(timeout=30)
    assert [r.status_code for r in answers] == [200, 200]
    assert TourDayOff.objects.filter(listing=mine, day=day).count() == 1
    assert any("is already a day off at this space" in r.text for r in answers)


def test_a_hosts_moves_in_host_admin_count_against_the_tour_rate(host_client, host, settings):
    """Each move emails the guest: the host's budget is the one the guest's pages use."""
    settings.TOUR_CHANGE_RATE = "1/h"
    tour = tour_on(open_every_day(ListingFactory(host=host)))
    move = f"/host/tours/tour/{tour.pk}/move/"
    first, second = local(days_ahead(3), 10), local(days_ahead(3), 11)
    assert host_client.post(move, {"starts_at": slot_value(first)}).status_code == 302
    response = host_client.post(move, {"starts_at": slot_value(second)})
    assert response.status_code == 429
    tour.refresh_from_db()
    assert tour.starts_at == first
    assert host_client.post(move, {"cancel": "1"}).status_code == 302
    tour.refresh_from_db()
    assert tour.status == Tour.Status.CANCELLED


def test_operators_read_tours_and_cannot_delete_one(client):
    """A tour ends by a cancellation, which tells both parties; never a silent delete."""
    tour = TourFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(f"/admin/tours/tour/{tour.pk}/change/").status_code == 200
    assert client.post(f"/admin/tours/tour/{tour.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [tour.pk], "post": "yes"}
    client.post("/admin/tours/tour/", bulk)
    assert Tour.objects.filter(pk=tour.pk, status=Tour.Status.BOOKED).exists()
