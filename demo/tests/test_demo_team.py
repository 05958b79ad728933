import pytest
from django.core.management import call_command

from bookings.models import Booking
from demo import data
from demo.teams import DEMO_MEMBER
from teams.models import Membership, Team

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_one_team_with_two_members_and_a_team_booking_once():
    call_command("seed_demo", stdout=None)
    call_command("seed_demo", stdout=None)
    team = Team.objects.get()
    members = dict(team.memberships.values_list("user__email", "role"))
    assert members == {data.DEMO_GUEST[0]: Membership.Role.ADMIN, DEMO_MEMBER[0]: "member"}
    booking = Booking.objects.get(team=team)
    assert booking.is_approved and booking.guest.email == DEMO_MEMBER[0]
