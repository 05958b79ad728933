"""Teams in the operators' admin (/admin/), read-only: members change through the site."""

from django.contrib import admin

from .models import Invite, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    fields = readonly_fields = ["user", "role", "joined_at"]

    def has_add_permission(self, request, obj=None):
        return False


class InviteInline(MembershipInline):
    model = Invite
    fields = readonly_fields = ["email", "status", "invited_by", "created_at", "accepted_at"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "billing_email", "created_at", "closed_at"]
    search_fields = ["name", "billing_email", "memberships__user__email"]
    fields = readonly_fields = ["name", "billing_email", "created_at", "closed_at", "closed_by"]
    inlines = [MembershipInline, InviteInline]

    def has_add_permission(self, request):
        return False
