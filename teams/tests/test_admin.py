"""Teams in the operators' admin: read-only. A team is closed by its admin, never deleted
(decision 0135), and its members change through the site's services."""

import pytest

from teams.models import Membership, Team

from .factories import TeamFactory, add_member

pytestmark = pytest.mark.django_db


def test_operators_see_a_team_with_its_members(operator_client):
    team = TeamFactory(name="Rocket Crew")
    member = add_member(team).user
    page = operator_client.get(f"/admin/teams/team/{team.pk}/change/")
    assert page.status_code == 200
    assert "Rocket Crew" in page.text and member.email in page.text


def test_operators_cannot_delete_or_change_a_team(operator_client):
    team = TeamFactory(name="Rocket Crew")
    add_member(team)
    delete = f"/admin/teams/team/{team.pk}/delete/"
    assert operator_client.post(delete, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [team.pk], "post": "yes"}
    operator_client.post("/admin/teams/team/", bulk)
    assert operator_client.post(f"/admin/teams/team/{team.pk}/change/", {}).status_code == 403
    assert Team.objects.filter(pk=team.pk).exists()
    assert Membership.objects.filter(team=team).count() == 2
