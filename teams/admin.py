"""Teams in the operators' admin (/admin/), read-only: members change through the site, and
a team is closed by its admin, never deleted (decision 0135)."""

from django.contrib import admin

from accounts.admin_params import ForgedParamsMixin, ReadOnlyMixin

from .models import Invite, Membership, Team


class MembershipInline(ReadOnlyMixin, admin.TabularInline):
    model = Membership
    extra = 0
    fields = readonly_fields = ["user", "role", "joined_at"]


class InviteInline(MembershipInline):
    model = Invite
    fields = readonly_fields = ["email", "status", "invited_by", "created_at", "accepted_at"]


@admin.register(Team)
class TeamAdmin(ReadOnlyMixin, ForgedParamsMixin, admin.ModelAdmin):
    list_display = ["name", "billing_email", "created_at", "closed_at"]
    search_fields = ["name", "billing_email", "memberships__user__email"]
    fields = readonly_fields = ["name", "billing_email", "created_at", "closed_at", "closed_by"]
    inlines = [MembershipInline, InviteInline]
