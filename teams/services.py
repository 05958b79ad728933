"""Writes for teams: create, invite, accept, remove or leave, hand over the admin role, close,
reopen.

Every write that changes a team's members locks the team row first (``team_lock``, a
``select_for_update``), so two admins' clicks (a hand-over and a removal, two accepts of one
invite) queue and each sees what the previous one committed. A team always has exactly one
admin: the database allows at most one (``team_one_admin``), and no service removes the
admin's membership.

Lock order (docs/decisions/0155: the member, listings, a team, rows): the team, then its
invites; creating a team locks its admin's row (``member_lock``) first. Closing locks the
team, then reads its bookings without locking them; a team booking request
(bookings.services) locks the guest, the listing, then the team. So a close and a booking
for the team queue on the team's row: whichever commits second sees the first (a booking
made, or the team closed) and is refused. Nothing here takes a listing's lock, so the two
orders cannot deadlock; a closing account's listings are all locked before
``member_account_closed`` runs (docs/decisions/0175).

A closed team keeps its memberships, so its members still see its past bookings, their
threads and receipts (decision 0135); it takes no new bookings, invites or members. A member
may still leave it, giving that history up, and its admin may reopen it (decision 0165).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import member_lock

from .models import Invite, Membership, Team
from .signals import team_closing
from .tasks import invite_email_send, team_closed_email_send

TEAM_NAME_TAKEN = "You already have a team called “{name}”: pick another name."
TEAM_NOT_ADMIN = "Only the team's admin can do that."
TEAM_NOT_MEMBER = "That person is not a member of this team."
TEAM_ALREADY_MEMBER = "{email} is already a member of this team."
TEAM_ADMIN_CANNOT_LEAVE = (
    "The admin cannot leave or be removed: hand the admin role to another member first."
)
TEAM_ALREADY_ADMIN = "{name} is already the admin."
TEAM_CLOSED = "This team is closed: its members and invites no longer change."
TEAM_NOT_CLOSED = "{team} is open: there is nothing to reopen."
TEAM_HAS_BOOKINGS = (
    "{team} can't be closed while it has bookings that have not ended or requests waiting "
    "for an answer: {bookings}. Cancel them or give notice, then close the team once they "
    "have ended."
)
NOT_ADMIN = "not_admin"  # the code of TEAM_NOT_ADMIN's ValidationError
INVITE_INVALID = "This invite link is not valid: it was used, withdrawn, changed or it expired."
INVITE_WRONG_ACCOUNT = (
    "This invite is for {email}, and you are logged in as {you}. Log in with the invited "
    "address to join."
)


def team_lock(*, team_id: int) -> Team:
    """The team's row, locked until the transaction ends, fresh. Caller must be inside
    transaction.atomic (bookings.services takes it after the listing's lock)."""
    return Team.objects.select_for_update().get(pk=team_id)


def _lock_team(team: Team) -> Team:
    return team_lock(team_id=team.pk)


def _require_admin(team: Team, user: User) -> None:
    if not Membership.objects.filter(
        team=team, user_id=user.pk, role=Membership.Role.ADMIN
    ).exists():
        raise ValidationError(TEAM_NOT_ADMIN, code=NOT_ADMIN)


def _require_open(team: Team) -> None:
    if team.is_closed:
        raise ValidationError(TEAM_CLOSED, code="closed")


@transaction.atomic
def team_create(*, admin: User, name: str, billing_email: str) -> Team:
    """A new team with ``admin`` as its admin and only member. Locks the admin's row
    (``member_lock``: a closed account makes no team), so a double-submitted form queues and
    its second copy is refused: an admin's open teams have different names (any case)."""
    member_lock(user=admin)
    team = Team(name=name.strip(), billing_email=User.objects.normalize_email(billing_email))
    team.full_clean()
    same = (
        Team.objects.open()
        .filter(
            name__iexact=team.name,
            memberships__user_id=admin.pk,
            memberships__role=Membership.Role.ADMIN,
        )
        .first()
    )
    if same is not None:
        raise ValidationError({"name": TEAM_NAME_TAKEN.format(name=same.name)}, code="duplicate")
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
    _require_open(team)
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
    if not invite.is_pending or team.is_closed:
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
    """Remove ``user`` from ``team``: the admin removes a member of an open team, or a member
    leaves, an open team or a closed one (decision 0165).

    The admin's own membership is never removed (hand the role over first). Access to the
    team's bookings ends with the membership: every team rule asks ``member_role``, so a
    member who leaves a closed team gives its history up.
    """
    team = _lock_team(team)
    if by.pk != user.pk:
        _require_admin(team, by)
        # A closed team's members change only by leaving it: no one is removed from it.
        _require_open(team)
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
    _require_open(team)
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


def team_close_check(*, team: Team, by: User, today: datetime.date) -> None:
    """Raise ValidationError unless ``by`` may close ``team`` on ``today``: only its admin
    (code ``NOT_ADMIN``), only once, and only when none of its bookings is still to come or
    running and no request of it waits for an answer (the message names them)."""
    _require_admin(team, by)
    _require_open(team)
    blocking = [
        phrase
        for _receiver, phrases in team_closing.send(sender=Team, team=team, today=today)
        for phrase in phrases
    ]
    if blocking:
        raise ValidationError(
            TEAM_HAS_BOOKINGS.format(team=team.name, bookings="; ".join(blocking)),
            code="bookings",
        )


@transaction.atomic
def team_close(*, team: Team, by: User) -> Team:
    """The admin closes ``team`` (``team_close_check``): its pending invites are withdrawn
    (their links stop working), it is marked closed, and every other member is emailed by
    a job of this transaction, so only once it commits.

    Memberships and bookings stay: past team bookings keep their team, and their pages,
    threads, receipts and invoices stay with the members who could see them before.
    """
    team = _lock_team(team)
    team_close_check(team=team, by=by, today=timezone.localdate())
    Invite.objects.filter(team=team, status=Invite.Status.PENDING).update(
        status=Invite.Status.REVOKED
    )
    team.closed_at = timezone.now()
    team.closed_by = by
    team.full_clean()
    team.save(update_fields=["closed_at", "closed_by"])
    for user_id in (
        Membership.objects.filter(team=team)
        .exclude(user_id=by.pk)
        .values_list("user_id", flat=True)
    ):
        team_closed_email_send.enqueue(team_id=team.pk, user_id=user_id)
    return team


@transaction.atomic
def team_reopen(*, team: Team, by: User) -> Team:
    """The admin reopens closed ``team`` (decision 0165): it takes bookings, invites and
    members again. Its members were kept by the close, so they are all back; the invites the
    close withdrew stay withdrawn (their links said they were dead). Nobody is emailed.

    Raises ValidationError: code ``NOT_ADMIN`` for anyone but its admin, ``open`` for a team
    that is not closed (nothing changes).
    """
    team = _lock_team(team)
    _require_admin(team, by)
    if not team.is_closed:
        raise ValidationError(TEAM_NOT_CLOSED.format(team=team.name), code="open")
    team.closed_at = None
    team.closed_by = None
    team.full_clean()
    team.save(update_fields=["closed_at", "closed_by"])
    return team


@transaction.atomic
def member_account_closed(sender, *, user: User, **kwargs) -> None:
    """Receiver of ``accounts.signals.account_closed``: ``user`` leaves every open team they
    are a member of, and closes the open teams they are the admin of (alone: the close was
    refused otherwise). A team ``team_close`` refuses (a booking of it not over, made by a
    member who left) stays open but takes no one new: its pending invites are withdrawn.
    Closed teams keep their members, as history. Team bookings stay with the teams."""
    memberships = Membership.objects.filter(user_id=user.pk, team__closed_at__isnull=True)
    for membership in memberships.select_related("team").order_by("team_id"):
        if not membership.is_admin:
            member_remove(team=membership.team, by=user, user=user)
            continue
        try:
            with transaction.atomic():
                team_close(team=membership.team, by=user)
        except ValidationError:
            Invite.objects.filter(team=membership.team, status=Invite.Status.PENDING).update(
                status=Invite.Status.REVOKED
            )
