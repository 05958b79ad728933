"""Teams: a group of guests who book together. One admin (a database constraint), any number
of members; invites by email. Bookings refer to a team (bookings builds on teams). A closed
team keeps its members and its bookings' history; it takes no new bookings or members."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from pivotdesk.emails import validate_single_line


class TeamQuerySet(models.QuerySet):
    def open(self):
        """Teams that are not closed: the ones members can book for, invite to and join."""
        return self.filter(closed_at__isnull=True)


class Team(models.Model):
    name = models.CharField(max_length=100, validators=[validate_single_line])
    billing_email = models.EmailField(
        help_text="Gets a copy of each receipt and refund email for the team's bookings."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Closed by its admin (teams.services.team_close): kept for its bookings' "
        "history, read-only.",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams_closed",
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("teams:detail", kwargs={"pk": self.pk})

    @property
    def is_closed(self):
        return self.closed_at is not None


class Membership(models.Model):
    """A user in a team. Exactly one membership per team is the admin's: at most one by the
    constraint below, at least one because the services never leave a team without one."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(max_length=6, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_once"),
            models.UniqueConstraint(
                fields=["team"], condition=Q(role="admin"), name="team_one_admin"
            ),
        ]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.get_role_display()})"

    @property
    def is_admin(self):
        return self.role == self.Role.ADMIN


class Invite(models.Model):
    """An email invitation to join a team. Its link (teams.links) is signed and good for
    INVITE_MAX_AGE from when its email is made; accepting it once spends it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_invites_sent"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="team_invites_accepted",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "email"],
                condition=Q(status="pending"),
                name="invite_pending_once",
            ),
        ]

    def __str__(self):
        return f"Invite for {self.email} to {self.team}"

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING
