"""Team pages under /accounts/teams/: a member's own things; invite links by email."""

import datetime
import re

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import User
from accounts.tests.factories import UserFactory
from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from teams import services
from teams.links import INVITE_LINK_SALT
from teams.models import Invite, Membership, Team
from teams.selectors import member_role

from .factories import TeamFactory, add_member

pytestmark = pytest.mark.django_db


def _invite_link(message) -> str:
    return re.search(r"https?://\S+/accounts/teams/invite/\S+", message.body)[0]


def _path(link: str) -> str:
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _admin(team):
    return team.memberships.get(role=Membership.Role.ADMIN).user


def test_teams_page_needs_login(client):
    response = client.get(reverse("teams:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_guest_creates_a_team_from_the_teams_page(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("teams:list"), {"name": "Rocket Crew", "billing_email": "pay@rocket.test"}
    )
    team = Team.objects.get()
    assert response.status_code == 302 and response["Location"] == team.get_absolute_url()
    assert member_role(team_id=team.pk, user=user) == Membership.Role.ADMIN
    page = client.get(team.get_absolute_url())
    assert "Rocket Crew" in page.content.decode() and "Send invite" in page.content.decode()
    assert "private" in page["Cache-Control"]


@pytest.mark.parametrize(
    "data",
    [
        {"name": ""},
        {"name": "x", "billing_email": "not-an-email"},
        {"name": "", "billing_email": ""},
    ],
)
def test_a_bad_team_form_is_a_form_error(client, data):
    client.force_login(UserFactory())
    response = client.post(reverse("teams:list"), data)
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    assert not Team.objects.exists()


def test_a_non_member_gets_404_on_every_team_url(client):
    team = TeamFactory()
    member = add_member(team).user
    client.force_login(UserFactory())
    invite = Invite.objects.create(team=team, email="x@y.test", invited_by=_admin(team))
    assert client.get(team.get_absolute_url()).status_code == 404
    for name, args in [
        ("teams:invite_create", [team.pk]),
        ("teams:remove", [team.pk]),
        ("teams:handover", [team.pk]),
        ("teams:invite_revoke", [team.pk, invite.pk]),
        ("teams:reopen", [team.pk]),
    ]:
        assert client.post(reverse(name, args=args), {"user": member.pk}).status_code == 404
    assert member_role(team_id=team.pk, user=member) == Membership.Role.MEMBER


def test_another_teams_invite_id_is_404(client):
    mine, theirs = TeamFactory(), TeamFactory()
    invite = Invite.objects.create(team=theirs, email="x@y.test", invited_by=_admin(theirs))
    client.force_login(_admin(mine))
    url = reverse("teams:invite_revoke", args=[mine.pk, invite.pk])
    assert client.post(url).status_code == 404
    invite.refresh_from_db()
    assert invite.is_pending


@pytest.mark.parametrize("user", ["", "garbage", "-1", "99999999999999999999999", "0"])
def test_garbage_member_ids_are_a_message_not_a_500(client, user):
    team = TeamFactory()
    client.force_login(_admin(team))
    for name in ("teams:remove", "teams:handover"):
        response = client.post(reverse(name, args=[team.pk]), {"user": user})
        assert response.status_code == 302
    assert team.memberships.count() == 1


def test_removing_the_last_admin_is_refused_with_a_message(client):
    team = TeamFactory()
    admin = _admin(team)
    client.force_login(admin)
    response = client.post(reverse("teams:remove", args=[team.pk]), {"user": admin.pk}, follow=True)
    assert services.TEAM_ADMIN_CANNOT_LEAVE in response.content.decode()
    assert member_role(team_id=team.pk, user=admin) == Membership.Role.ADMIN


def test_a_member_of_another_team_cannot_be_removed_through_mine(client):
    mine, theirs = TeamFactory(), TeamFactory()
    stranger = add_member(theirs).user
    client.force_login(_admin(mine))
    client.post(reverse("teams:remove", args=[mine.pk]), {"user": stranger.pk})
    client.post(reverse("teams:handover", args=[mine.pk]), {"user": stranger.pk})
    assert member_role(team_id=theirs.pk, user=stranger) == Membership.Role.MEMBER
    assert member_role(team_id=mine.pk, user=stranger) is None


def test_admin_hands_over_from_the_team_page(client):
    team = TeamFactory()
    admin, member = _admin(team), add_member(team).user
    client.force_login(admin)
    client.post(reverse("teams:handover", args=[team.pk]), {"user": member.pk})
    assert _admin(team) == member


def test_invite_email_link_lets_an_existing_account_join_once(client, run_jobs):
    team = TeamFactory(name="Rocket Crew")
    joiner = UserFactory(email="joiner@member.test")
    client.force_login(_admin(team))
    response = client.post(
        reverse("teams:invite_create", args=[team.pk]), {"email": "Joiner@Member.test"}
    )
    assert response.status_code == 302
    run_jobs()
    assert [m.to for m in mail.outbox] == [["joiner@member.test"]]
    assert "Rocket Crew" in mail.outbox[0].subject
    link = _invite_link(mail.outbox[0])

    other = Client()
    other.force_login(joiner)
    page = other.get(link)  # a mail scanner's GET joins no one
    assert page.status_code == 200 and "Join Rocket Crew" in page.content.decode()
    assert member_role(team_id=team.pk, user=joiner) is None
    response = other.post(link)
    assert response.status_code == 302 and response["Location"] == team.get_absolute_url()
    assert member_role(team_id=team.pk, user=joiner) == Membership.Role.MEMBER
    # Used: the link is dead now.
    assert other.get(link).status_code == 404
    assert other.post(link).status_code == 404


def test_invite_to_an_address_without_an_account_signs_up_and_joins(client, run_jobs):
    team = TeamFactory(name="Rocket Crew")
    client.force_login(_admin(team))
    client.post(reverse("teams:invite_create", args=[team.pk]), {"email": "fresh@member.test"})
    run_jobs()
    link = _invite_link(mail.outbox[0])
    visitor = Client()
    page = visitor.get(link)
    html = page.content.decode()
    assert page.status_code == 200 and "Sign up with fresh@member.test" in html
    signup = re.search(r'href="(/accounts/signup/\?next=/accounts/teams/[^"]+)"', html)[1].replace(
        "&amp;", "&"
    )
    visitor.post(
        signup,
        {
            "email": "fresh@member.test",
            "password1": "flatirons-at-dawn-42",
            "password2": "flatirons-at-dawn-42",
            "name": "Fresh",
            "company": "",
        },
    )
    run_jobs()
    welcome = mail.outbox[-1]
    signin = re.search(r"https?://\S+/accounts/signin/\S+", welcome.body)[0]
    response = visitor.post(signin)
    assert response.status_code == 302 and response["Location"] == _path(link)
    visitor.post(response["Location"])
    user = User.objects.get(email="fresh@member.test")
    assert member_role(team_id=team.pk, user=user) == Membership.Role.MEMBER


def test_an_invite_for_another_address_does_not_join_the_logged_in_user(client):
    team = TeamFactory()
    invite = services.invite_create(team=team, by=_admin(team), email="invited@member.test")
    token = signing.dumps({"i": invite.pk, "e": invite.email}, salt=INVITE_LINK_SALT)
    client.force_login(UserFactory(email="someone@else.test"))
    response = client.post(reverse("teams:invite", args=[token]), follow=True)
    assert "This invite is for invited@member.test" in response.content.decode()
    assert team.memberships.count() == 1


@pytest.mark.parametrize(
    "token",
    ["garbage", "eyJpIjoxfQ:1x:forged", "a" * 500, "%00", "..", "eyJpIjoxLCJlIjoieEB5LnRlc3QifQ"],
)
def test_forged_invite_tokens_are_a_clear_404(client, token):
    client.force_login(UserFactory())
    for method in (client.get, client.post):
        response = method(reverse("teams:invite", args=[token]))
        assert response.status_code == 404
        assert "This invite link does not work" in response.content.decode()
    assert not Membership.objects.filter(role=Membership.Role.MEMBER).exists()


def test_a_tampered_invite_token_is_refused(client):
    team = TeamFactory()
    invite = services.invite_create(team=team, by=_admin(team), email="invited@member.test")
    token = signing.dumps({"i": invite.pk, "e": invite.email}, salt=INVITE_LINK_SALT)
    payload, rest = token.split(":", 1)
    tampered = (
        signing.b64_encode(f'{{"i":{invite.pk},"e":"me@evil.test"}}'.encode()).decode() + ":" + rest
    )
    client.force_login(UserFactory(email="me@evil.test"))
    assert client.post(reverse("teams:invite", args=[tampered])).status_code == 404
    assert team.memberships.count() == 1


def test_an_expired_invite_token_is_refused(client, settings):
    team = TeamFactory()
    user = UserFactory(email="late@member.test")
    invite = services.invite_create(team=team, by=_admin(team), email=user.email)
    token = signing.dumps({"i": invite.pk, "e": invite.email}, salt=INVITE_LINK_SALT)
    settings.TEAM_INVITE_MAX_AGE = -1
    client.force_login(user)
    assert client.post(reverse("teams:invite", args=[token])).status_code == 404
    assert member_role(team_id=team.pk, user=user) is None


def test_a_withdrawn_invite_is_refused(client):
    team = TeamFactory()
    user = UserFactory(email="late@member.test")
    invite = services.invite_create(team=team, by=_admin(team), email=user.email)
    token = signing.dumps({"i": invite.pk, "e": invite.email}, salt=INVITE_LINK_SALT)
    services.invite_revoke(invite=invite, by=_admin(team))
    client.force_login(user)
    assert client.post(reverse("teams:invite", args=[token])).status_code == 404
    assert member_role(team_id=team.pk, user=user) is None


# --- closing a team ---------------------------------------------------------------------


def test_the_admin_sees_what_closing_does_then_closes_with_a_post(client):
    team = TeamFactory(name="Rocket Crew")
    admin = _admin(team)
    add_member(team, UserFactory(name="Kai Member"))
    services.invite_create(team=team, by=admin, email="late@crew.test")
    client.force_login(admin)
    url = reverse("teams:close", args=[team.pk])
    assert url == f"/accounts/teams/{team.pk}/close/"
    assert f'href="{url}"' in client.get(team.get_absolute_url()).content.decode()

    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "private" in page["Cache-Control"]
    assert "Close Rocket Crew?" in html and "until you reopen it" in html
    assert "withdraws the 1 invite waiting (late@crew.test)" in html
    assert "emails the team's other member (Kai Member)" in html
    assert "Close the team</button>" in html
    team.refresh_from_db()
    assert not team.is_closed  # a GET changes nothing

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == team.get_absolute_url()
    team.refresh_from_db()
    assert team.is_closed
    assert not Invite.objects.filter(status=Invite.Status.PENDING).exists()
    html = client.get(team.get_absolute_url()).content.decode()
    assert "Rocket Crew is closed. Its other members are told by email." in html
    assert "<strong>Closed</strong> on" in html
    assert "Send invite" not in html and f'href="{url}"' not in html and "Make admin" not in html
    assert "Rocket Crew</a> (closed)" in client.get(reverse("teams:list")).content.decode()


def test_close_is_404_for_a_non_member_and_403_for_a_member(client):
    team = TeamFactory()
    member = add_member(team).user
    url = reverse("teams:close", args=[team.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(member)
    assert f'href="{url}"' not in client.get(team.get_absolute_url()).content.decode()
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 403
        assert escape(services.TEAM_NOT_ADMIN) in response.content.decode()
        assert "Close the team</button>" not in response.content.decode()
    team.refresh_from_db()
    assert not team.is_closed


@pytest.mark.parametrize("pk", ["999999999", "99999999999999999999", "0"])
def test_forged_team_ids_on_close_are_404(client, pk):
    team = TeamFactory()
    client.force_login(_admin(team))
    for method in (client.get, client.post):
        assert method(f"/accounts/teams/{pk}/close/").status_code == 404
    assert client.put(reverse("teams:close", args=[team.pk])).status_code == 405
    team.refresh_from_db()
    assert not team.is_closed


def test_a_team_with_a_booking_not_over_says_why_it_cannot_close(client):
    team = TeamFactory(name="Rocket Crew")
    admin = _admin(team)
    booking = BookingFactory(
        team=team,
        guest=admin,
        status=Booking.Status.APPROVED,
        start=timezone.localdate() - datetime.timedelta(days=3),
        months=2,
    )
    client.force_login(admin)
    url = reverse("teams:close", args=[team.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Rocket Crew can&#x27;t be closed while it has bookings" in html
    assert f"booking #{booking.pk} at {booking.listing.title}" in html
    assert "Close the team</button>" not in html
    response = client.post(url)
    assert response.status_code == 400 and f"booking #{booking.pk}" in response.content.decode()
    team.refresh_from_db()
    assert not team.is_closed


def test_the_close_page_reads_a_fixed_number_of_queries_however_big_the_team(client):
    def queries(members, invites):
        team = TeamFactory()
        admin = _admin(team)
        for _ in range(members):
            add_member(team)
        for n in range(invites):
            Invite.objects.create(team=team, email=f"x{n}@crew.test", invited_by=admin)
        client.force_login(admin)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("teams:close", args=[team.pk])).status_code == 200
        return len(captured)

    assert queries(members=1, invites=1) == queries(members=6, invites=4)


# --- leaving a closed team, reopening it ------------------------------------------------


def test_a_member_leaves_a_closed_team_from_its_page(client):
    team = TeamFactory(name="Rocket Crew")
    member = add_member(team).user
    services.team_close(team=team, by=_admin(team))
    client.force_login(member)
    html = client.get(team.get_absolute_url()).content.decode()
    assert "Leave this team</button>" in html and "gives up its history" in html
    assert "Reopen the team</button>" not in html

    response = client.post(reverse("teams:remove", args=[team.pk]), {"user": member.pk})
    assert response.status_code == 302 and response["Location"] == reverse("teams:list")
    assert member_role(team_id=team.pk, user=member) is None
    assert client.get(team.get_absolute_url()).status_code == 404


def test_the_admin_reopens_a_closed_team_with_the_button_on_its_page(client):
    team = TeamFactory(name="Rocket Crew")
    admin = _admin(team)
    services.team_close(team=team, by=admin)
    client.force_login(admin)
    url = reverse("teams:reopen", args=[team.pk])
    assert url == f"/accounts/teams/{team.pk}/reopen/"
    page = client.get(team.get_absolute_url())
    html = page.content.decode()
    assert "private" in page["Cache-Control"]
    assert f'action="{url}"' in html and "Reopen the team</button>" in html
    assert "Leave this team" not in html
    assert client.get(url).status_code == 405  # a POST only: a link follower changes nothing
    team.refresh_from_db()
    assert team.is_closed

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == team.get_absolute_url()
    team.refresh_from_db()
    assert not team.is_closed
    html = client.get(team.get_absolute_url()).content.decode()
    assert "Rocket Crew is open again" in html and "<strong>Closed</strong>" not in html
    assert "Send invite</button>" in html and "Reopen the team</button>" not in html


def test_reopening_an_open_team_is_a_form_error_that_changes_nothing(client):
    team = TeamFactory(name="Rocket Crew")
    client.force_login(_admin(team))
    response = client.post(reverse("teams:reopen", args=[team.pk]))
    html = response.content.decode()
    assert response.status_code == 400 and "error-summary" in html
    assert "Rocket Crew is open: there is nothing to reopen." in html
    team.refresh_from_db()
    assert not team.is_closed and team.closed_by is None


def test_reopen_is_404_for_others_and_403_for_a_member(client):
    team = TeamFactory()
    admin, member = _admin(team), add_member(team).user
    services.team_close(team=team, by=admin)
    url = reverse("teams:reopen", args=[team.pk])
    client.force_login(_admin(TeamFactory()))  # the admin of another team
    assert client.post(url).status_code == 404
    client.force_login(member)
    response = client.post(url)
    assert response.status_code == 403
    assert escape(services.TEAM_NOT_ADMIN) in response.content.decode()
    client.logout()
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    team.refresh_from_db()
    assert team.is_closed and team.closed_by == admin


@pytest.mark.parametrize("pk", ["999999999", "99999999999999999999", "0"])
def test_forged_team_ids_on_reopen_are_404(client, pk):
    team = TeamFactory()
    services.team_close(team=team, by=_admin(team))
    client.force_login(_admin(team))
    assert client.post(f"/accounts/teams/{pk}/reopen/").status_code == 404
    team.refresh_from_db()
    assert team.is_closed


def test_reopen_needs_the_csrf_token(client):
    team = TeamFactory()
    services.team_close(team=team, by=_admin(team))
    client = Client(enforce_csrf_checks=True)
    client.force_login(_admin(team))
    assert client.post(reverse("teams:reopen", args=[team.pk])).status_code == 403
    team.refresh_from_db()
    assert team.is_closed


def test_a_closed_teams_page_and_its_reopen_read_fixed_queries_however_big_the_team(client):
    def queries(members):
        team = TeamFactory()
        admin = _admin(team)
        for _ in range(members):
            add_member(team)
        services.team_close(team=team, by=admin)
        client.force_login(admin)
        with CaptureQueriesContext(connection) as page:
            assert client.get(team.get_absolute_url()).status_code == 200
        with CaptureQueriesContext(connection) as reopen:
            assert client.post(reverse("teams:reopen", args=[team.pk])).status_code == 302
        return len(page), len(reopen)

    assert queries(members=1) == queries(members=6)


def test_invites_are_rate_limited_per_member_with_a_429_and_nothing_saved(client):
    """Each invite emails an address the admin typed: a budget per member keeps a team from
    being a way to mail strangers in bulk."""
    team = TeamFactory()
    client.force_login(_admin(team))
    url = reverse("teams:invite_create", args=[team.pk])
    for n in range(30):
        assert client.post(url, {"email": f"mate{n}@crew.test"}).status_code == 302
    response = client.post(url, {"email": "one-more@crew.test"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many invites" in response.text
    assert not Invite.objects.filter(email="one-more@crew.test").exists()
    assert Invite.objects.count() == 30
    # Another team of the same member shares the budget; another member has their own.
    other = TeamFactory(admin=_admin(team))
    assert (
        client.post(
            reverse("teams:invite_create", args=[other.pk]), {"email": "x@crew.test"}
        ).status_code
        == 429
    )
    fresh = TeamFactory()
    client.force_login(_admin(fresh))
    assert (
        client.post(
            reverse("teams:invite_create", args=[fresh.pk]), {"email": "x@crew.test"}
        ).status_code
        == 302
    )


def test_a_stranger_posting_invites_gets_404_not_a_rate(client):
    team = TeamFactory()
    client.force_login(UserFactory())
    url = reverse("teams:invite_create", args=[team.pk])
    for _ in range(32):
        assert client.post(url, {"email": "x@crew.test"}).status_code == 404


def test_the_invite_rate_is_read_from_the_setting(client, settings):
    settings.TEAM_INVITE_RATE = "2/h"
    team = TeamFactory()
    client.force_login(_admin(team))
    url = reverse("teams:invite_create", args=[team.pk])
    assert [client.post(url, {"email": f"m{n}@crew.test"}).status_code for n in range(3)] == [
        302,
        302,
        429,
    ]


def test_a_double_submitted_create_form_makes_one_team(client):
    client.force_login(UserFactory())
    data = {"name": "Rocket Crew", "billing_email": "pay@rocket.test"}
    assert client.post(reverse("teams:list"), data).status_code == 302
    response = client.post(reverse("teams:list"), data)
    assert response.status_code == 200
    assert "You already have a team called" in response.content.decode()
    assert Team.objects.count() == 1
