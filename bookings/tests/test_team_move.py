"""Moving a personal booking into a team: its maker, once, into an open team they belong to.
From then on it is the team's (its members see it); nothing else about it changes."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.services import user_close
from accounts.tests.factories import UserFactory
from bookings import rules, services
from bookings.models import BookingEvent, add_months
from teams import services as team_services
from teams.tests.factories import TeamFactory, add_member

from .factories import BookingFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def personal():
    """A maker's personal request, the maker in an open team with a teammate."""
    maker = UserFactory(name="Mia Maker")
    team = TeamFactory(name="Rocket Crew", admin=maker)
    teammate = add_member(team).user
    booking = BookingFactory(guest=maker, desks=2, months=3)
    booking.maker, booking.to_team, booking.teammate = maker, team, teammate
    return booking


def _move(booking, team=None, by=None):
    return services.booking_move_to_team(
        booking=booking, team=team or booking.to_team, by=by or booking.maker
    )


def _terms(booking):
    booking.refresh_from_db()
    return (
        booking.status,
        booking.desks,
        booking.start,
        booking.end,
        booking.months,
        booking.price_per_desk,
        booking.total,
        booking.decided_at,
    )


def test_the_maker_moves_a_request_into_their_team_and_nothing_else_changes(personal):
    before = _terms(personal)
    jobs = DBTaskResult.objects.count()

    moved = _move(personal)

    assert moved.team == personal.to_team
    assert _terms(personal) == before
    assert personal.team_id == personal.to_team.pk
    event = BookingEvent.objects.get(booking=personal)
    assert event.actor == personal.maker
    assert (event.from_status, event.to_status) == ("requested", "requested")
    assert event.note == "Made a booking of the team Rocket Crew"
    assert DBTaskResult.objects.count() == jobs  # nobody is emailed


def test_a_running_approved_booking_moves_with_its_desk_change_continuation():
    maker = UserFactory()
    team = TeamFactory(admin=maker)
    start = timezone.localdate() - 40 * DAY
    first = BookingFactory(
        guest=maker, status="approved", start=start, months=3, end=add_months(start, 2)
    )
    then = BookingFactory(
        listing=first.listing,
        guest=maker,
        status="approved",
        continues=first,
        desks=3,
        start=add_months(start, 2),
        months=1,
    )

    services.booking_move_to_team(booking=first, team=team, by=maker)

    # One agreement, one owner: the continuation is the team's too, each with its history.
    for booking in (first, then):
        booking.refresh_from_db()
        assert booking.team == team
        assert booking.events.get().note == f"Made a booking of the team {team.name}"


def test_a_booking_moves_with_every_link_of_its_desk_change_chain_and_no_other():
    maker = UserFactory()
    team = TeamFactory(admin=maker)
    start = timezone.localdate() - 70 * DAY
    chain = [BookingFactory(guest=maker, status="approved", start=start, months=1)]
    for n in (1, 2, 3):
        chain.append(
            BookingFactory(
                listing=chain[0].listing,
                guest=maker,
                status="approved",
                continues=chain[-1],
                desks=n + 1,
                start=add_months(start, n),
                months=1,
            )
        )
    # The maker's other booking of the same space is another agreement: it stays personal.
    other = BookingFactory(listing=chain[0].listing, guest=maker, start=add_months(start, 6))

    services.booking_move_to_team(booking=chain[2], team=team, by=maker)

    for booking in chain:
        booking.refresh_from_db()
        assert booking.team == team
    other.refresh_from_db()
    assert other.team is None and not other.events.exists()


@pytest.mark.parametrize(
    ("status", "ended"),
    [("declined", False), ("cancelled", False), ("expired", False), ("approved", True)],
)
def test_only_a_request_or_a_booking_not_ended_moves(personal, status, ended):
    personal.status = status
    if ended:
        personal.start = timezone.localdate() - 100 * DAY
        personal.end = timezone.localdate()
    personal.save()
    with pytest.raises(ValidationError) as refused:
        _move(personal)
    assert refused.value.messages == [rules.MOVE_NOT_OPEN]
    personal.refresh_from_db()
    assert personal.team is None and not personal.events.exists()


def test_only_its_maker_moves_it(personal):
    # Even a teammate of the maker's, and the host: it is the maker's booking.
    for someone in (personal.teammate, personal.listing.host):
        with pytest.raises(ValidationError) as refused:
            _move(personal, by=someone)
        assert refused.value.messages == [rules.MOVE_NOT_MAKER]
    personal.refresh_from_db()
    assert personal.team is None


def test_a_team_booking_does_not_move_again(personal):
    _move(personal)
    other = TeamFactory(name="Second Crew")
    add_member(other, personal.maker)
    with pytest.raises(ValidationError) as refused:
        _move(personal, team=other)
    assert refused.value.messages == ["This booking is already Rocket Crew's."]
    personal.refresh_from_db()
    assert personal.team == personal.to_team and personal.events.count() == 1


def test_only_into_a_team_the_maker_is_a_member_of(personal):
    stranger_team = TeamFactory()
    with pytest.raises(ValidationError) as refused:
        _move(personal, team=stranger_team)
    assert refused.value.messages == [services.MOVE_NOT_IN_TEAM]
    personal.refresh_from_db()
    assert personal.team is None


def test_not_into_a_closed_team(personal):
    team_services.team_close(team=personal.to_team, by=personal.maker)
    with pytest.raises(ValidationError) as refused:
        _move(personal)
    assert refused.value.messages == ["Rocket Crew is closed: it takes no bookings."]
    personal.refresh_from_db()
    assert personal.team is None


def test_not_for_a_closed_account(personal):
    # Closed once nothing of theirs was open; the request is put back as the race would see it.
    personal.status = "cancelled"
    personal.save()
    team_services.team_close(team=personal.to_team, by=personal.maker)
    user_close(user=personal.maker)
    personal.status = "requested"
    personal.save()
    with pytest.raises(ValidationError) as refused:
        _move(personal)
    assert refused.value.code == "closed"


def test_a_team_cannot_close_while_a_request_moved_into_it_waits(personal):
    _move(personal)
    with pytest.raises(ValidationError) as refused:
        team_services.team_close(team=personal.to_team, by=personal.maker)
    assert refused.value.code == "bookings"


# --- The page ------------------------------------------------------------------------------


def _url(booking):
    return reverse("bookings:team", args=[booking.pk])


def test_the_maker_is_offered_their_open_teams_only(client, personal):
    closed = TeamFactory(name="Old Crew", admin=personal.maker)
    team_services.team_close(team=closed, by=personal.maker)
    client.force_login(personal.maker)
    page = client.get(personal.get_absolute_url()).content.decode()
    assert "Make this a team booking" in page and _url(personal) in page
    assert ">Rocket Crew</option>" in page and "Old Crew" not in page


def test_no_offer_without_an_open_team_or_to_anyone_but_the_maker(client, personal):
    client.force_login(personal.listing.host)
    assert (
        "Make this a team booking" not in client.get(personal.get_absolute_url()).content.decode()
    )
    loner = BookingFactory()
    client.force_login(loner.guest)
    assert "Make this a team booking" not in client.get(loner.get_absolute_url()).content.decode()
    _move(personal)
    for user in (personal.maker, personal.teammate):
        client.force_login(user)
        page = client.get(personal.get_absolute_url()).content.decode()
        assert "Make this a team booking" not in page


def test_the_maker_moves_it_and_the_team_sees_it_with_its_history(client, personal):
    client.force_login(personal.teammate)
    assert client.get(personal.get_absolute_url()).status_code == 404

    client.force_login(personal.maker)
    response = client.post(_url(personal), {"team": personal.to_team.pk}, follow=True)
    assert response.redirect_chain == [(personal.get_absolute_url(), 302)]
    page = response.content.decode()
    assert "This is now a booking of Rocket Crew: its members see it." in page
    assert "Requested → Requested by Mia Maker — Made a booking of the team Rocket Crew" in page

    client.force_login(personal.teammate)
    page = client.get(personal.get_absolute_url()).content.decode()
    assert "Rocket Crew</a>, booked by Mia Maker" in page
    assert personal.get_absolute_url() in client.get(reverse("bookings:list")).content.decode()
    client.force_login(UserFactory())
    assert client.get(personal.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("team", ["999999", "abc", "", "1" * 30])
def test_a_forged_team_is_a_form_error(client, personal, team):
    client.force_login(personal.maker)
    response = client.post(_url(personal), {"team": team})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode() or "required" in (
        response.content.decode()
    )
    personal.refresh_from_db()
    assert personal.team is None


def test_another_members_team_or_a_closed_one_is_a_form_error(client, personal):
    theirs = TeamFactory()
    client.force_login(personal.maker)
    assert client.post(_url(personal), {"team": theirs.pk}).status_code == 400
    # Closed after the page was shown: the choice is no longer offered.
    team_services.team_close(team=personal.to_team, by=personal.maker)
    response = client.post(_url(personal), {"team": personal.to_team.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    personal.refresh_from_db()
    assert personal.team is None


def test_a_forged_or_foreign_booking_is_a_404_and_the_host_is_refused(client, personal):
    client.force_login(personal.maker)
    assert client.post(reverse("bookings:team", args=[99999999]), {"team": 1}).status_code == 404
    stranger = BookingFactory()
    assert client.post(_url(stranger), {"team": personal.to_team.pk}).status_code == 404
    # The host sees the booking, and may not move it: the service's message, a 400.
    host = personal.listing.host
    add_member(personal.to_team, host)
    client.force_login(host)
    response = client.post(_url(personal), {"team": personal.to_team.pk})
    assert response.status_code == 400
    assert rules.MOVE_NOT_MAKER in response.content.decode()
    for booking in (personal, stranger):
        booking.refresh_from_db()
        assert booking.team is None


def test_get_changes_nothing_and_the_form_needs_csrf(personal):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(personal.maker)
    assert client.get(_url(personal), {"team": personal.to_team.pk}).status_code == 405
    assert client.post(_url(personal), {"team": personal.to_team.pk}).status_code == 403
    personal.refresh_from_db()
    assert personal.team is None and not personal.events.exists()


def test_anonymous_is_sent_to_log_in(client, personal):
    response = client.post(_url(personal), {"team": personal.to_team.pk})
    assert response.status_code == 302 and "/login/" in response["Location"]
    personal.refresh_from_db()
    assert personal.team is None
