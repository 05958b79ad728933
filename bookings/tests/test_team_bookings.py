"""Team bookings: every member sees them and writes in their thread; only the team's admin
or the member who made one gives notice; an ex-member loses access at once."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.tests.factories import UserFactory
from bookings import rules, services
from bookings.models import Booking, Message
from listings.tests.factories import ListingFactory
from teams import services as team_services
from teams.tests.factories import TeamFactory, add_member

from .factories import BookingFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def team_booking():
    """A running, approved team booking: admin, maker (a member), another member."""
    admin = UserFactory(email="admin@crew.test")
    team = TeamFactory(admin=admin)
    maker = add_member(team, UserFactory(email="maker@crew.test")).user
    other = add_member(team, UserFactory(email="other@crew.test")).user
    booking = BookingFactory(
        team=team,
        guest=maker,
        status=Booking.Status.APPROVED,
        start=timezone.localdate() - 10 * DAY,
        months=3,
    )
    booking.admin, booking.maker, booking.other = admin, maker, other
    return booking


def test_every_member_sees_the_team_booking_in_the_list_and_its_page(client, team_booking):
    for user in (team_booking.admin, team_booking.maker, team_booking.other):
        client.force_login(user)
        listing_page = client.get(reverse("bookings:list")).content.decode()
        assert team_booking.get_absolute_url() in listing_page
        assert team_booking.team.name in listing_page
        page = client.get(team_booking.get_absolute_url())
        assert page.status_code == 200
        assert f"booked by {team_booking.maker.display_name}" in page.content.decode()


def test_a_non_member_gets_404_on_a_team_booking(client, team_booking):
    client.force_login(UserFactory())
    url = team_booking.get_absolute_url()
    assert client.get(url).status_code == 404
    for name in ("bookings:message", "bookings:cancel", "bookings:change"):
        response = client.post(reverse(name, args=[team_booking.pk]), {"body": "hi", "desks": 2})
        assert response.status_code == 404
    assert not Message.objects.exists()


def test_an_ex_member_loses_access_at_once(client, team_booking):
    client.force_login(team_booking.other)
    assert client.get(team_booking.get_absolute_url()).status_code == 200
    team_services.member_remove(
        team=team_booking.team, by=team_booking.admin, user=team_booking.other
    )
    assert client.get(team_booking.get_absolute_url()).status_code == 404
    assert (
        team_booking.get_absolute_url() not in client.get(reverse("bookings:list")).content.decode()
    )
    response = client.post(reverse("bookings:message", args=[team_booking.pk]), {"body": "hi"})
    assert response.status_code == 404
    # Even the member who made it: a team booking is the team's.
    team_services.member_remove(
        team=team_booking.team, by=team_booking.admin, user=team_booking.maker
    )
    client.force_login(team_booking.maker)
    assert client.get(team_booking.get_absolute_url()).status_code == 404


def test_any_member_writes_in_the_thread_and_the_host_is_emailed(client, team_booking, run_jobs):
    client.force_login(team_booking.other)
    response = client.post(
        reverse("bookings:message", args=[team_booking.pk]), {"body": "Can we get a locker?"}
    )
    assert response.status_code == 302
    run_jobs()
    assert [m.to for m in mail.outbox] == [[team_booking.listing.host.email]]
    # The host's answer goes to the booking's maker.
    services.message_create(booking=team_booking, author=team_booking.listing.host, body="Yes")
    run_jobs()
    assert mail.outbox[-1].to == [team_booking.maker.email]


def test_the_guest_side_email_goes_to_the_admin_once_the_maker_has_left(team_booking, run_jobs):
    team_services.member_remove(
        team=team_booking.team, by=team_booking.admin, user=team_booking.maker
    )
    services.message_create(booking=team_booking, author=team_booking.listing.host, body="Hi")
    run_jobs()
    assert [m.to for m in mail.outbox] == [[team_booking.admin.email]]


def test_only_the_admin_or_the_maker_gives_notice(client, team_booking):
    client.force_login(team_booking.other)
    response = client.post(reverse("bookings:cancel", args=[team_booking.pk]), follow=True)
    assert escape(rules.BOOKING_NOT_YOUR_TEAM_BOOKING) in response.content.decode()
    team_booking.refresh_from_db()
    assert team_booking.notice_given_at is None
    page = client.get(team_booking.get_absolute_url()).content.decode()
    assert "Give 30 days' notice" not in page

    client.force_login(team_booking.admin)
    assert "Give 30 days' notice" in client.get(team_booking.get_absolute_url()).content.decode()
    client.post(reverse("bookings:cancel", args=[team_booking.pk]))
    team_booking.refresh_from_db()
    assert team_booking.notice_given_at is not None


def test_the_maker_may_give_notice_only_while_a_member(team_booking):
    rules.booking_manager_check(booking=team_booking, user=team_booking.maker)
    team_services.member_remove(
        team=team_booking.team, by=team_booking.admin, user=team_booking.maker
    )
    with pytest.raises(services.ValidationError):
        rules.booking_manager_check(booking=team_booking, user=team_booking.maker)


def test_the_request_form_offers_the_members_teams(client):
    listing = ListingFactory(desks=4)
    user = UserFactory()
    team = TeamFactory(admin=user, name="Rocket Crew")
    client.force_login(user)
    url = reverse("bookings:create", args=[listing.city.slug, listing.slug])
    page = client.get(url).content.decode()
    assert "Book for" in page and "Rocket Crew" in page
    start = timezone.localdate() + 5 * DAY
    response = client.post(url, {"desks": 2, "start": start, "months": 1, "team": team.pk})
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert booking.team == team and booking.guest == user


def test_no_team_field_for_a_guest_without_teams(client):
    listing = ListingFactory(desks=4)
    client.force_login(UserFactory())
    page = client.get(reverse("bookings:create", args=[listing.city.slug, listing.slug]))
    assert "Book for" not in page.content.decode()


@pytest.mark.parametrize("team", ["other", "999999", "garbage", "-1"])
def test_another_teams_or_a_forged_team_id_is_a_form_error(client, team):
    listing = ListingFactory(desks=4)
    user = UserFactory()
    TeamFactory(admin=user)
    other = TeamFactory()
    client.force_login(user)
    url = reverse("bookings:create", args=[listing.city.slug, listing.slug])
    start = timezone.localdate() + 5 * DAY
    team_id = other.pk if team == "other" else team
    response = client.post(url, {"desks": 2, "start": start, "months": 1, "team": team_id})
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    assert not Booking.objects.exists()


def test_booking_request_refuses_a_team_the_guest_is_not_in():
    listing = ListingFactory(desks=4)
    with pytest.raises(services.ValidationError) as exc:
        services.booking_request(
            guest=UserFactory(),
            listing=listing,
            desks=1,
            start=timezone.localdate() + 5 * DAY,
            months=1,
            team=TeamFactory(),
        )
    assert exc.value.messages == [services.BOOKING_NOT_IN_TEAM]
    assert not Booking.objects.exists()


def test_the_host_sees_a_team_booking_once_however_many_members(client, team_booking):
    client.force_login(team_booking.listing.host)
    page = client.get(reverse("bookings:list")).content.decode()
    assert page.count(f'href="{team_booking.get_absolute_url()}"') == 1


# --- a closed team ----------------------------------------------------------------------


def test_a_closed_team_cannot_be_booked_for_and_leaves_book_for(client):
    listing = ListingFactory(desks=4)
    user = UserFactory()
    closed = TeamFactory(admin=user, name="Old Crew")
    TeamFactory(admin=user, name="New Crew")
    team_services.team_close(team=closed, by=user)
    url = reverse("bookings:create", args=[listing.city.slug, listing.slug])
    client.force_login(user)
    page = client.get(url).content.decode()
    assert "New Crew" in page and "Old Crew" not in page
    start = timezone.localdate() + 5 * DAY
    response = client.post(url, {"desks": 2, "start": start, "months": 1, "team": closed.pk})
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    with pytest.raises(services.ValidationError) as exc:
        services.booking_request(
            guest=user, listing=listing, desks=1, start=start, months=1, team=closed
        )
    assert exc.value.messages == [services.BOOKING_TEAM_CLOSED.format(team="Old Crew")]
    assert not Booking.objects.exists()


def test_a_closed_teams_past_booking_still_shows_the_team_to_its_members(client):
    admin = UserFactory()
    team = TeamFactory(admin=admin, name="Rocket Crew")
    maker = add_member(team, UserFactory(name="Kai Maker")).user
    past = BookingFactory(
        team=team,
        guest=maker,
        status=Booking.Status.APPROVED,
        start=timezone.localdate() - 70 * DAY,
        months=2,
    )
    team_services.team_close(team=team, by=admin)
    for user in (admin, maker):
        client.force_login(user)
        assert past.get_absolute_url() in client.get(reverse("bookings:list")).content.decode()
        page = client.get(past.get_absolute_url())
        assert page.status_code == 200
        html = page.content.decode()
        assert "Rocket Crew" in html and "booked by Kai Maker" in html


@pytest.mark.django_db(transaction=True)
def test_a_close_and_a_team_booking_racing_never_both_commit(postgres_only):
    import threading

    from django.db import connection

    listing = ListingFactory(desks=4)
    admin = UserFactory()
    team = TeamFactory(admin=admin)
    barrier = threading.Barrier(2, timeout=30)
    outcomes = {}

    def run(name, write):
        try:
            barrier.wait()
            outcomes[name] = write()
        except services.ValidationError as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    writes = {
        "close": lambda: team_services.team_close(team=team, by=admin),
        "book": lambda: services.booking_request(
            guest=admin,
            listing=listing,
            desks=1,
            start=timezone.localdate() + 5 * DAY,
            months=1,
            team=team,
        ),
    }
    threads = [threading.Thread(target=run, args=item) for item in writes.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    refused = [name for name, outcome in outcomes.items() if isinstance(outcome, Exception)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    team.refresh_from_db()
    assert team.is_closed == (refused == ["book"])
    assert Booking.objects.filter(team=team).exists() == (refused == ["close"])
