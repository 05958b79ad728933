"""Writes for teams: create, invite, accept, remove or leave, hand over the admin role.

Every write that changes a team's members locks the team row first (``select_for_update``),
so two admins' clicks (a hand-over and a removal, two accepts of one invite) queue and each
sees what the previous one committed. A team always has exactly one admin: the database
allows at most one (``team_one_admin``), and no service removes the admin's membership.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import Invite, Membership, Team
from .tasks import invite_email_send

TEAM_NOT_ADMIN = "Only the team's admin can do that."
TEAM_NOT_MEMBER = "That person is not a member of this team."
TEAM_ALREADY_MEMBER = "{email} is already a member of this team."
TEAM_ADMIN_CANNOT_LEAVE = (
    "The admin cannot leave or be removed: hand the admin role to another member first."
)
TEAM_ALREADY_ADMIN = "{name} is already the admin."
INVITE_INVALID = "This invite link is not valid: it was used, withdrawn, changed or it expired."
INVITE_WRONG_ACCOUNT = (
    "This invite is for {email}, and you are logged in as {you}. Log in with the invited "
    "address to join."
)


def _lock_team(team: Team) -> Team:
    """Caller must be inside transaction.atomic."""
    return Team.objects.select_for_update().get(pk=team.pk)


def _require_admin(team: Team, user: User) -> None:
    if not Membership.objects.filter(
        team=team, user_id=user.pk, role=Membership.Role.ADMIN
    ).exists():
        raise ValidationError(TEAM_NOT_ADMIN)


@transaction.atomic
def team_create(*, admin: User, name: str, billing_email: str) -> Team:
    """A new team with ``admin`` as its admin and only member."""
    team = Team(name=name.strip(), billing_email=User.objects.normalize_email(billing_email))
    team.full_clean()
    team.save()
    membership = Membership(team=team, user=admin, role=Membership.Role.ADMIN)
    membership.full_clean()
    membership.save()
    return team


@transaction.atomic
def invite_create(*, team: Team, by: User, email: str) -> Invite:
    """Invite ``email`` to ``team`` (admin only) and queue the email with its link.

    Inviting an address again withdraws its earlier invite: only the newest link works.
    """
    team = _lock_team(team)
    _require_admin(team, by)
    email = User.objects.normalize_email(email)
    if Membership.objects.filter(team=team, user__email=email).exists():
        raise ValidationError(TEAM_ALREADY_MEMBER.format(email=email))
    Invite.objects.filter(team=team, email=email, status=Invite.Status.PENDING).update(
        status=Invite.Status.REVOKED
    )
    invite = Invite(team=team, email=email, invited_by=by)
    invite.full_clean()
    invite.save()
    # A job of this transaction (Django Tasks on the database): mailed once this commits.
    invite_email_send.enqueue(invite_id=invite.pk)
    return invite


@transaction.atomic
def invite_revoke(*, invite: Invite, by: User) -> Invite:
    """Withdraw a pending invite (admin only): its link stops working."""
    _lock_team(invite.team)
    _require_admin(invite.team, by)
    invite = Invite.objects.select_for_update().get(pk=invite.pk)
    if invite.is_pending:
        invite.status = Invite.Status.REVOKED
        invite.save(update_fields=["status"])
    return invite


@transaction.atomic
def invite_accept(*, invite: Invite, user: User) -> Membership:
    """``user`` joins the team of a pending invite sent to their address; the invite is spent.

    Raises ValidationError when the invite is no longer pending (used or withdrawn since the
    link was opened) or is for another address. Already a member: the invite is spent and
    the existing membership returned.
    """
    team = _lock_team(invite.team)
    invite = Invite.objects.select_for_update().get(pk=invite.pk)
    if not invite.is_pending:
        raise ValidationError(INVITE_INVALID)
    if User.objects.normalize_email(user.email) != invite.email:
        raise ValidationError(INVITE_WRONG_ACCOUNT.format(email=invite.email, you=user.email))
    invite.status = Invite.Status.ACCEPTED
    invite.accepted_at = timezone.now()
    invite.accepted_by = user
    invite.save(update_fields=["status", "accepted_at", "accepted_by"])
    membership, _ = Membership.objects.get_or_create(
        team=team, user=user, defaults={"role": Membership.Role.MEMBER}
    )
    return membership


@transaction.atomic
def member_remove(*, team: Team, by: User, user: User) -> None:
    """Remove ``user`` from ``team``: the admin removes a member, or a member leaves.

    The admin's own membership is never removed (hand the role over first). Access to the
    team's bookings ends with the membership: every team rule asks ``member_role``.
    """
    team = _lock_team(team)
    if by.pk != user.pk:
        _require_admin(team, by)
    membership = Membership.objects.filter(team=team, user_id=user.pk).first()
    if membership is None:
        raise ValidationError(TEAM_NOT_MEMBER)
    if membership.is_admin:
        raise ValidationError(TEAM_ADMIN_CANNOT_LEAVE)
    membership.delete()


@transaction.atomic
def admin_handover(*, team: Team, by: User, to: User) -> Membership:
    """The admin makes member ``to`` the admin and becomes a member: one transaction, so the
    team has exactly one admin before and after (demoted first: the constraint is checked
    on each statement)."""
    team = _lock_team(team)
    _require_admin(team, by)
    target = Membership.objects.filter(team=team, user_id=to.pk).first()
    if target is None:
        raise ValidationError(TEAM_NOT_MEMBER)
    if target.is_admin:
        raise ValidationError(TEAM_ALREADY_ADMIN.format(name=to.display_name))
    Membership.objects.filter(team=team, role=Membership.Role.ADMIN).update(
        role=Membership.Role.MEMBER
    )
    target.role = Membership.Role.ADMIN
    target.full_clean()
    target.save(update_fields=["role"])
    return target


@transaction.atomic
def member_account_closed(sender, *, user: User, **kwargs) -> None:
    """Receiver of ``accounts.signals.account_closed``: ``user`` leaves every team they are
    a member of, and the teams they are the (only remaining) admin of take no one new —
    their pending invites are withdrawn. Their team bookings stay with the teams."""
    for membership in Membership.objects.filter(user_id=user.pk).select_related("team"):
        if membership.is_admin:
            team = _lock_team(membership.team)
            Invite.objects.filter(team=team, status=Invite.Status.PENDING).update(
                status=Invite.Status.REVOKED
            )
        else:
            member_remove(team=membership.team, by=user, user=user)
