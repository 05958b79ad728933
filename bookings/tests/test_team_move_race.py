"""A maker moves a request into a team while its admin closes the team. The move locks the
maker, the listing, then the team (docs/decisions/0155); the close locks the team. The two
queue on the team's row: whichever commits second sees the first and refuses, so a closed
team never ends up with a request waiting for an answer.

Postgres only, in real transactions. The order is forced: the test holds the team's row
lock while the two start, one after the other, and lets go once both wait on it.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from bookings.models import Booking
from bookings.services import MOVE_TEAM_CLOSED, booking_move_to_team
from teams.models import Team
from teams.services import team_close
from teams.tests.factories import TeamFactory, add_member
from tests.locks import until_sessions_wait

from .factories import BookingFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*, team: Team, calls) -> dict:
    """Start each call in its own thread, in order, while this test holds ``team``'s row
    lock; let go once all wait. Each call's result or exception, by name."""
    outcomes = {}

    def run(name, call):
        try:
            outcomes[name] = call()
        except Exception as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    threads = []
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=team.pk)
        for waiting, (name, call) in enumerate(calls, start=1):
            thread = threading.Thread(target=run, args=(name, call))
            thread.start()
            threads.append(thread)
            until_sessions_wait(waiting)
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a call hung"
    unexpected = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert all(isinstance(o, ValidationError) for o in unexpected)  # no deadlock
    return outcomes


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
    outcomes = _race(team=team, calls=[_move(booking, team), _close(team, admin)])
    assert isinstance(outcomes["move"], Booking)
    assert outcomes["close"].code == "bookings"
    team.refresh_from_db()
    booking.refresh_from_db()
    assert not team.is_closed and booking.team == team


def test_a_close_first_refuses_the_move(postgres_only, maker_and_team):
    booking, team, admin = maker_and_team
    outcomes = _race(team=team, calls=[_close(team, admin), _move(booking, team)])
    assert outcomes["move"].messages == [MOVE_TEAM_CLOSED.format(team="Rocket Crew")]
    team.refresh_from_db()
    booking.refresh_from_db()
    assert team.is_closed and booking.team is None and not booking.events.exists()
