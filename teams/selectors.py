"""Reads for teams. ``member_role`` is the one question the rest of the site asks about a
team (bookings.rules: who may see, write in, give notice on or change a team booking)."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User

from .models import Invite, Membership, Team


def member_role(*, team_id: int | None, user: User) -> str | None:
    """``user``'s role in the team (``Membership.Role``), or None for a non-member. One query."""
    if team_id is None or not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(team_id=team_id, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )


def teams_for_user(*, user: User) -> QuerySet[Team]:
    """The teams ``user`` belongs to, by name, closed ones too (``.open()`` for the others)."""
    return Team.objects.filter(memberships__user_id=user.pk).order_by("name", "id")


def team_admin(*, team_id: int) -> User | None:
    membership = (
        Membership.objects.filter(team_id=team_id, role=Membership.Role.ADMIN)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def team_for_member(*, user: User, pk: int) -> QuerySet[Team]:
    """The team ``pk`` if ``user`` is a member (else empty), with its members, its pending
    invites and who closed it (if it is closed)."""
    return (
        teams_for_user(user=user)
        .filter(pk=pk)
        .select_related("closed_by")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("user")),
            Prefetch(
                "invites",
                queryset=Invite.objects.filter(status=Invite.Status.PENDING).select_related(
                    "invited_by"
                ),
                to_attr="pending_invites",
            ),
        )
    )
