"""One member, two tabs: closing the account in one while booking a tour, asking for desks
or joining a line in the other. Every such write takes the member's row first, then the
listing (docs/decisions/0155), so the two queue: no deadlock (a 503 "busy" page), and
nothing new is left on a closed account.

Postgres only, in real transactions. The order of the race is forced, not hoped for: the
test holds the listing's row lock while the two tabs start, one after the other, and lets
go once both wait on a lock; Postgres then serves the listing's waiters in arrival order.
"""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.services import ACCOUNT_CLOSED, user_close
from accounts.tests.factories import UserFactory
from bookings.models import Booking
from bookings.services import booking_request
from listings.tests.factories import ListingFactory
from teams.tests.factories import TeamFactory, add_member
from tests.locks import race_behind
from tours.models import Tour
from tours.services import tour_book
from tours.tests.factories import open_every_day
from tours.tests.helpers import days_ahead, local, move_in
from waitlist.tests.factories import WaitlistEntryFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def member_in_a_line():
    """A member waiting in the line of a space that shows tours: closing the account leaves
    the line, under that space's row lock."""
    listing = open_every_day(ListingFactory())
    member = UserFactory()
    WaitlistEntryFactory(listing=listing, guest=member)
    return member, listing


def _close(member):
    return "close", lambda: user_close(user=User.objects.get(pk=member.pk))


def _tour(member, listing):
    at = local(days_ahead(3), 10)
    return "tour", lambda: tour_book(
        guest=User.objects.get(pk=member.pk),
        listing=listing,
        starts_at=at,
        desks=1,
        move_in=move_in(),
    )


def _request(member, listing, team=None):
    return "request", lambda: booking_request(
        guest=User.objects.get(pk=member.pk),
        listing=listing,
        desks=1,
        start=days_ahead(10),
        months=2,
        team=team,
    )


def _closed(member) -> bool:
    return User.objects.get(pk=member.pk).is_closed


def test_a_tour_booked_first_refuses_the_close_that_follows(postgres_only, member_in_a_line):
    member, listing = member_in_a_line
    outcomes = race_behind(listing, [_tour(member, listing), _close(member)])
    assert isinstance(outcomes["tour"], Tour)
    assert isinstance(outcomes["close"], ValidationError)
    assert any(listing.title in m for m in outcomes["close"].messages)
    assert not _closed(member)


def test_a_close_first_refuses_the_tour_that_follows(postgres_only, member_in_a_line):
    member, listing = member_in_a_line
    outcomes = race_behind(listing, [_close(member), _tour(member, listing)])
    assert _closed(member)
    assert outcomes["tour"].messages == [ACCOUNT_CLOSED]
    assert not Tour.objects.filter(guest_id=member.pk).exists()


def test_a_request_made_first_refuses_the_close_that_follows(postgres_only, member_in_a_line):
    member, listing = member_in_a_line
    outcomes = race_behind(listing, [_request(member, listing), _close(member)])
    assert isinstance(outcomes["request"], Booking) and outcomes["request"].is_pending
    assert isinstance(outcomes["close"], ValidationError)
    assert not _closed(member)


def test_a_close_first_refuses_the_request_that_follows(postgres_only, member_in_a_line):
    member, listing = member_in_a_line
    outcomes = race_behind(listing, [_close(member), _request(member, listing)])
    assert _closed(member)
    assert outcomes["request"].messages == [ACCOUNT_CLOSED]
    assert not Booking.objects.filter(guest_id=member.pk).exists()


def test_a_close_leaving_a_team_and_a_line_waits_for_a_team_request_at_that_listing(
    postgres_only, member_in_a_line
):
    """The closing member is in a team and in a line; a teammate asks for desks for the
    team at that line's listing at the same moment. The request locks the listing, then the
    team; the close locks the listing before the team it leaves (0175), so it waits for
    the request instead of holding the team while it waits for the listing (a deadlock)."""
    member, listing = member_in_a_line
    team = TeamFactory()
    add_member(team, member)
    teammate = add_member(team).user
    outcomes = race_behind(listing, [_request(teammate, listing, team), _close(member)])
    assert isinstance(outcomes["request"], Booking)
    assert outcomes["request"].team_id == team.pk
    assert _closed(member)
    assert not team.memberships.filter(user_id=member.pk).exists()
