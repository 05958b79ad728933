"""A maker moves a request into a team while its admin closes the team. The move locks the
maker, the listing, then the team (docs/decisions/0155); the close locks the team. The two
queue on the team's row: whichever commits second sees the first and refuses, so a closed
team never ends up with a request waiting for an answer.

Postgres only, in real transactions. The order is forced: the test holds the team's row
lock while the two start, one after the other, and lets go once both wait on it.
"""

import pytest

from accounts.tests.factories import UserFactory
from bookings.models import Booking
from bookings.services import MOVE_TEAM_CLOSED, booking_move_to_team
from teams.services import team_close
from teams.tests.factories import TeamFactory, add_member
from tests.locks import race_behind

from .factories import BookingFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def maker_and_team():
    admin = UserFactory()
    team = TeamFactory(name="Rocket Crew", admin=admin)
    maker = add_member(team).user
    return BookingFactory(guest=maker), team, admin


def _move(booking, team):
    return "move", lambda: booking_move_to_team(booking=booking, team=team, by=booking.guest)


def _close(team, admin):
    return "close", lambda: team_close(team=team, by=admin)


def test_a_move_first_keeps_the_team_open(postgres_only, maker_and_team):
    booking, team, admin = maker_and_team
    outcomes = race_behind(team, [_move(booking, team), _close(team, admin)])
    assert isinstance(outcomes["move"], Booking)
    assert outcomes["close"].code == "bookings"
    team.refresh_from_db()
    booking.refresh_from_db()
    assert not team.is_closed and booking.team == team


def test_a_close_first_refuses_the_move(postgres_only, maker_and_team):
    booking, team, admin = maker_and_team
    outcomes = race_behind(team, [_close(team, admin), _move(booking, team)])
    assert outcomes["move"].messages == [MOVE_TEAM_CLOSED.format(team="Rocket Crew")]
    team.refresh_from_db()
    booking.refresh_from_db()
    assert team.is_closed and booking.team is None and not booking.events.exists()
