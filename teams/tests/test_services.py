"""Team writes: one admin always, invites spent once, removals and hand-overs."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.services import user_close
from accounts.tests.factories import UserFactory
from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from teams import services
from teams.models import Invite, Membership, Team
from teams.selectors import member_role
from teams.tasks import invite_email_send, team_closed_email_send

from .factories import TeamFactory, add_member

pytestmark = pytest.mark.django_db


def refusal(exc_info):
    return " ".join(exc_info.value.messages)


def test_team_create_makes_its_creator_the_admin():
    user = UserFactory()
    team = services.team_create(admin=user, name=" Rocket Crew ", billing_email="Pay@Crew.test")
    assert team.name == "Rocket Crew"
    assert team.billing_email == "pay@crew.test"
    assert member_role(team_id=team.pk, user=user) == Membership.Role.ADMIN


@pytest.mark.parametrize("name", ["", "Line\nbreak", "x" * 101])
def test_team_create_refuses_a_bad_name_and_saves_nothing(name):
    with pytest.raises(ValidationError):
        services.team_create(admin=UserFactory(), name=name, billing_email="pay@crew.test")
    assert not Team.objects.exists() and not Membership.objects.exists()


def test_team_create_twice_with_one_name_makes_one_team():
    """A double-clicked "Create team": the second is refused, whatever its case or spaces."""
    user = UserFactory()
    services.team_create(admin=user, name="Rocket Crew", billing_email="pay@crew.test")
    with pytest.raises(ValidationError) as exc_info:
        services.team_create(admin=user, name=" rocket crew ", billing_email="pay@crew.test")
    assert "already" in refusal(exc_info) and "Rocket Crew" in refusal(exc_info)
    assert Team.objects.count() == 1 and Membership.objects.count() == 1
    # Another admin may use the name.
    services.team_create(admin=UserFactory(), name="Rocket Crew", billing_email="pay@crew.test")
    assert Team.objects.count() == 2


def test_a_closed_account_makes_no_team():
    user = UserFactory()
    user_close(user=user)
    with pytest.raises(ValidationError):
        services.team_create(admin=user, name="Crew", billing_email="pay@crew.test")
    assert not Team.objects.exists()


def test_the_database_refuses_a_second_admin():
    team = TeamFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(team=team, user=UserFactory(), role=Membership.Role.ADMIN)


def test_invite_create_queues_one_email_job_and_replaces_an_earlier_invite():
    team = TeamFactory()
    admin = team.memberships.get().user
    first = services.invite_create(team=team, by=admin, email="New@Member.test")
    second = services.invite_create(team=team, by=admin, email="new@member.test")
    first.refresh_from_db()
    assert first.status == Invite.Status.REVOKED
    assert second.email == "new@member.test" and second.is_pending
    assert DBTaskResult.objects.filter(task_path=invite_email_send.module_path).count() == 2


def test_only_the_admin_invites():
    team = TeamFactory()
    member = add_member(team).user
    with pytest.raises(ValidationError) as exc:
        services.invite_create(team=team, by=member, email="x@y.test")
    assert refusal(exc) == services.TEAM_NOT_ADMIN
    assert not Invite.objects.exists()


def test_inviting_a_member_is_refused():
    team = TeamFactory()
    admin = team.memberships.get().user
    member = add_member(team).user
    with pytest.raises(ValidationError):
        services.invite_create(team=team, by=admin, email=member.email.upper())


def test_invite_accept_joins_once():
    team = TeamFactory()
    admin = team.memberships.get().user
    user = UserFactory(email="joiner@member.test")
    invite = services.invite_create(team=team, by=admin, email="joiner@member.test")
    membership = services.invite_accept(invite=invite, user=user)
    assert membership.role == Membership.Role.MEMBER
    invite.refresh_from_db()
    assert invite.status == Invite.Status.ACCEPTED and invite.accepted_by == user
    with pytest.raises(ValidationError) as exc:
        services.invite_accept(invite=invite, user=user)
    assert refusal(exc) == services.INVITE_INVALID


def test_invite_accept_refuses_another_account():
    team = TeamFactory()
    invite = services.invite_create(
        team=team, by=team.memberships.get().user, email="invited@member.test"
    )
    with pytest.raises(ValidationError):
        services.invite_accept(invite=invite, user=UserFactory(email="other@member.test"))
    invite.refresh_from_db()
    assert invite.is_pending
    assert team.memberships.count() == 1


def test_admin_removes_a_member_and_a_member_leaves():
    team = TeamFactory()
    admin = team.memberships.get().user
    one, two = add_member(team).user, add_member(team).user
    services.member_remove(team=team, by=admin, user=one)
    services.member_remove(team=team, by=two, user=two)
    assert list(team.memberships.values_list("user", flat=True)) == [admin.pk]


def test_a_member_cannot_remove_another():
    team = TeamFactory()
    one, two = add_member(team).user, add_member(team).user
    with pytest.raises(ValidationError) as exc:
        services.member_remove(team=team, by=one, user=two)
    assert refusal(exc) == services.TEAM_NOT_ADMIN


def test_the_admin_cannot_be_removed_or_leave():
    team = TeamFactory()
    admin = team.memberships.get().user
    with pytest.raises(ValidationError) as exc:
        services.member_remove(team=team, by=admin, user=admin)
    assert refusal(exc) == services.TEAM_ADMIN_CANNOT_LEAVE
    assert member_role(team_id=team.pk, user=admin) == Membership.Role.ADMIN


def test_admin_handover_leaves_exactly_one_admin():
    team = TeamFactory()
    admin = team.memberships.get().user
    member = add_member(team).user
    services.admin_handover(team=team, by=admin, to=member)
    assert member_role(team_id=team.pk, user=member) == Membership.Role.ADMIN
    assert member_role(team_id=team.pk, user=admin) == Membership.Role.MEMBER
    assert team.memberships.filter(role=Membership.Role.ADMIN).count() == 1
    # The old admin can now leave; the new one cannot.
    services.member_remove(team=team, by=admin, user=admin)
    with pytest.raises(ValidationError):
        services.member_remove(team=team, by=member, user=member)


def test_handover_to_a_non_member_or_by_a_member_is_refused():
    team = TeamFactory()
    admin = team.memberships.get().user
    member = add_member(team).user
    with pytest.raises(ValidationError):
        services.admin_handover(team=team, by=admin, to=UserFactory())
    with pytest.raises(ValidationError):
        services.admin_handover(team=team, by=member, to=member)
    assert member_role(team_id=team.pk, user=admin) == Membership.Role.ADMIN


# --- closing a team ---------------------------------------------------------------------


def _booking(team, **kwargs):
    return BookingFactory(team=team, guest=team.memberships.get().user, **kwargs)


def test_team_close_marks_it_closed_withdraws_invites_and_keeps_members():
    team = TeamFactory()
    admin = team.memberships.get().user
    member = add_member(team).user
    invite = services.invite_create(team=team, by=admin, email="late@crew.test")
    token_invite = Invite.objects.get(pk=invite.pk)

    closed = services.team_close(team=team, by=admin)

    team.refresh_from_db()
    assert team.is_closed and closed.is_closed and team.closed_by == admin
    invite.refresh_from_db()
    assert invite.status == Invite.Status.REVOKED
    assert invite_email_send.call(invite_id=token_invite.pk) is False  # queued mail: moot
    # History stays: the members are still members (they keep seeing past bookings).
    assert member_role(team_id=team.pk, user=admin) == Membership.Role.ADMIN
    assert member_role(team_id=team.pk, user=member) == Membership.Role.MEMBER
    assert list(Team.objects.open()) == []


def test_only_the_admin_closes_a_team():
    team = TeamFactory()
    member = add_member(team).user
    with pytest.raises(ValidationError) as exc:
        services.team_close(team=team, by=member)
    assert refusal(exc) == services.TEAM_NOT_ADMIN
    assert exc.value.code == services.NOT_ADMIN
    with pytest.raises(ValidationError):
        services.team_close(team=team, by=UserFactory())
    team.refresh_from_db()
    assert not team.is_closed


@pytest.mark.parametrize(
    "status,start_days,months",
    [
        ("requested", 5, 1),  # waiting for the host
        ("approved", 5, 1),  # starts later
        ("approved", -10, 1),  # running
    ],
)
def test_a_team_with_a_booking_not_over_cannot_close(status, start_days, months):
    team = TeamFactory()
    admin = team.memberships.get().user
    invite = services.invite_create(team=team, by=admin, email="late@crew.test")
    start = timezone.localdate() + datetime.timedelta(days=start_days)
    booking = _booking(team, status=status, start=start, months=months)
    with pytest.raises(ValidationError) as exc:
        services.team_close(team=team, by=admin)
    message = refusal(exc)
    assert message.startswith(f"{team.name} can't be closed while it has bookings")
    assert f"#{booking.pk} at {booking.listing.title}" in message
    assert ("waiting for the host" in message) == (status == "requested")
    team.refresh_from_db()
    invite.refresh_from_db()
    assert not team.is_closed and invite.is_pending


@pytest.mark.parametrize("status", ["declined", "cancelled", "expired", "approved"])
def test_bookings_that_are_over_do_not_stop_a_close(status):
    team = TeamFactory()
    admin = team.memberships.get().user
    # Ended yesterday (an approved booking's end is the first free day).
    start = timezone.localdate() - datetime.timedelta(days=40)
    booking = _booking(team, status=status, start=start, months=1)
    assert booking.end <= timezone.localdate()
    services.team_close(team=team, by=admin)
    team.refresh_from_db()
    assert team.is_closed
    booking.refresh_from_db()
    assert booking.team_id == team.pk


def test_a_closed_team_takes_no_invites_members_or_handover_and_closes_once():
    team = TeamFactory()
    admin = team.memberships.get().user
    member = add_member(team).user
    user = UserFactory(email="joiner@crew.test")
    invite = services.invite_create(team=team, by=admin, email=user.email)
    services.team_close(team=team, by=admin)
    for write in (
        lambda: services.invite_create(team=team, by=admin, email="new@crew.test"),
        lambda: services.member_remove(team=team, by=admin, user=member),
        lambda: services.admin_handover(team=team, by=admin, to=member),
        lambda: services.team_close(team=team, by=admin),
    ):
        with pytest.raises(ValidationError) as exc:
            write()
        assert refusal(exc) == services.TEAM_CLOSED
    with pytest.raises(ValidationError) as exc:
        services.invite_accept(invite=invite, user=user)
    assert refusal(exc) == services.INVITE_INVALID
    assert member_role(team_id=team.pk, user=user) is None
    assert team.memberships.count() == 2
    assert member_role(team_id=team.pk, user=admin) == Membership.Role.ADMIN


def test_closing_emails_the_other_members_once_after_commit(run_jobs):
    team = TeamFactory(name="Rocket Crew")
    admin = team.memberships.get().user
    one = add_member(team, UserFactory(email="one@crew.test")).user
    add_member(team, UserFactory(email="two@crew.test"))

    # Rolled back: no job was written, so no one is told of a close that did not happen.
    with pytest.raises(RuntimeError), transaction.atomic():
        services.team_close(team=team, by=admin)
        raise RuntimeError
    run_jobs()
    assert mail.outbox == []

    services.team_close(team=team, by=admin)
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == ["one@crew.test", "two@crew.test"]
    email = mail.outbox[0]
    assert email.subject == "Rocket Crew is closed on PivotDesk"
    for body in (email.body, email.alternatives[0][0]):
        assert f"{admin.display_name} closed the team" in body
        assert "past bookings" in body and "/bookings/" in body
    # The job again (a retry): nothing is sent twice.
    assert team_closed_email_send.call(team_id=team.pk, user_id=one.pk) is False
    assert len(mail.outbox) == 2


# --- leaving a closed team, reopening ----------------------------------------------------


def test_a_member_leaves_a_closed_team_and_loses_its_history():
    team = TeamFactory()
    admin = team.memberships.get().user
    member = add_member(team).user
    booking = BookingFactory(team=team, guest=member, status="declined")
    services.team_close(team=team, by=admin)
    assert Booking.objects.visible_to(member).filter(pk=booking.pk).exists()

    services.member_remove(team=team, by=member, user=member)

    assert member_role(team_id=team.pk, user=member) is None
    assert not Booking.objects.visible_to(member).filter(pk=booking.pk).exists()
    team.refresh_from_db()
    assert team.is_closed  # leaving changes nothing else


def test_the_admin_of_a_closed_team_can_neither_leave_nor_remove_and_others_cannot_remove():
    team = TeamFactory()
    admin = team.memberships.get().user
    one, two = add_member(team).user, add_member(team).user
    services.team_close(team=team, by=admin)
    for by, user, message in (
        (admin, admin, services.TEAM_ADMIN_CANNOT_LEAVE),
        (admin, one, services.TEAM_CLOSED),
        (one, two, services.TEAM_NOT_ADMIN),
    ):
        with pytest.raises(ValidationError) as exc:
            services.member_remove(team=team, by=by, user=user)
        assert refusal(exc) == message
    assert team.memberships.count() == 3


def test_team_reopen_clears_the_close_and_the_team_takes_members_again():
    team = TeamFactory(name="Rocket Crew")
    admin = team.memberships.get().user
    member = add_member(team).user
    invite = services.invite_create(team=team, by=admin, email="late@crew.test")
    services.team_close(team=team, by=admin)

    reopened = services.team_reopen(team=team, by=admin)

    team.refresh_from_db()
    assert reopened == team and not team.is_closed and team.closed_by is None
    assert Team.objects.open().filter(pk=team.pk).exists()
    invite.refresh_from_db()
    assert invite.status == Invite.Status.REVOKED  # the close's withdrawal stands
    services.admin_handover(team=team, by=admin, to=member)
    services.invite_create(team=team, by=member, email="new@crew.test")
    assert member_role(team_id=team.pk, user=member) == Membership.Role.ADMIN


def test_only_the_admin_reopens_and_an_open_team_is_refused_unchanged():
    team = TeamFactory(name="Rocket Crew")
    admin = team.memberships.get().user
    member = add_member(team).user
    with pytest.raises(ValidationError) as exc:
        services.team_reopen(team=team, by=admin)
    assert refusal(exc) == services.TEAM_NOT_CLOSED.format(team="Rocket Crew")
    assert exc.value.code == "open"

    services.team_close(team=team, by=admin)
    closed_at = Team.objects.get(pk=team.pk).closed_at
    for by in (member, UserFactory()):
        with pytest.raises(ValidationError) as exc:
            services.team_reopen(team=team, by=by)
        assert exc.value.code == services.NOT_ADMIN
    team.refresh_from_db()
    assert team.closed_at == closed_at and team.closed_by == admin
