"""Reads for teams. ``member_role`` is the one question the rest of the site asks about a
team (bookings.rules: who may see, write in, give notice on or change a team booking)."""

from django.db.models import Count, Prefetch, QuerySet

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


ACCOUNT_CLOSE_TEAM_ADMIN = (
    "You are the admin of {team}, which has other members: hand the admin role to one of them "
    "first (the team's page)."
)


def account_close_blockers(sender, *, user: User, **kwargs) -> list[str]:
    """Receiver of ``accounts.signals.account_closing``: the open teams ``user`` is the admin
    of that have other members (a team always has an admin). One query."""
    admin_of = Membership.objects.filter(
        user_id=user.pk, role=Membership.Role.ADMIN, team__closed_at__isnull=True
    )
    teams = (
        # A subquery, not a join: the count must see every membership, not the admin's.
        Team.objects.filter(pk__in=admin_of.values("team_id"))
        .annotate(members=Count("memberships"))
        .filter(members__gt=1)
        .order_by("name", "id")
    )
    return [ACCOUNT_CLOSE_TEAM_ADMIN.format(team=team.name) for team in teams]
