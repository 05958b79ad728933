"""Desk-change requests in both admins. A host answers the changes on their own listings in
/host/ (approve or decline, each through bookings.changes); operators see them read-only."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_params import ForgedParamsMixin
from accounts.admin_site import host_site

from . import changes, selectors
from .models import BookingChange

CHANGE_FIELDS = [
    "booking",
    "from_desks",
    "desks",
    "effective_from",
    "status",
    "requested_by",
    "reason",
    "continuation",
    "created_at",
    "decided_at",
]


class BookingChangeAdminBase(ForgedParamsMixin, admin.ModelAdmin):
    list_display = ["id", "booking", "from_desks", "desks", "effective_from", "status"]
    list_filter = ["status"]
    list_select_related = ["booking", "booking__listing", "requested_by"]
    fields = readonly_fields = CHANGE_FIELDS

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Never write a change from the admin form: approve and decline are actions."""


@admin.register(BookingChange)
class BookingChangeAdmin(BookingChangeAdminBase):
    """Operators: read-only."""


class HostBookingChangeAdmin(BookingChangeAdminBase):
    """A host's desk-change requests: approve or decline the selected ones."""

    list_display = ["change", "space", "who", "desks_change", "effective_from", "status"]
    list_display_links = ["change"]
    actions = ["approve_selected", "decline_selected"]

    @admin.display(description="Change", ordering="pk")
    def change(self, obj):
        return f"#{obj.pk}"

    @admin.display(description="Space", ordering="booking__listing__title")
    def space(self, obj):
        return obj.booking.listing.title

    @admin.display(description="Asked by")
    def who(self, obj):
        team = f" ({obj.booking.team.name})" if obj.booking.team_id else ""
        return f"{obj.requested_by.display_name}{team}"

    @admin.display(description="Desks")
    def desks_change(self, obj):
        url = reverse(f"{self.admin_site.name}:bookings_booking_change", args=[obj.booking_id])
        return format_html(
            '<a href="{}">Booking #{}</a>: {} → {}', url, obj.booking_id, obj.from_desks, obj.desks
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(booking__listing__host=request.user)
            .select_related("booking__team")
        )

    def changelist_view(self, request, extra_context=None):
        title = {"title": "Desk changes asked for", **(extra_context or {})}
        return super().changelist_view(request, title)

    def _answer(self, request, queryset, service, done):
        ok = 0
        for change in queryset.order_by("created_at", "pk"):
            try:
                service(change=change, host=request.user)
            except ValidationError as exc:
                self.message_user(
                    request, f"Change #{change.pk}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                ok += 1
        if ok:
            self.message_user(request, f"{done} {ok} change{pluralize(ok)}.", messages.SUCCESS)

    @admin.action(description="Approve selected changes", permissions=["change"])
    def approve_selected(self, request, queryset):
        self._answer(request, queryset, changes.booking_change_approve, "Approved")

    @admin.action(description="Decline selected changes", permissions=["change"])
    def decline_selected(self, request, queryset):
        self._answer(request, queryset, changes.booking_change_decline, "Declined")


host_site.register(BookingChange, HostBookingChangeAdmin)


@host_site.add_index_panel
def pending_changes_panel(request):
    """Desk changes waiting for this host's answer, on the host admin's home page."""
    pending = list(selectors.pending_changes_for_host(host=request.user)[:10])
    if not pending:
        return None
    return {
        "title": "Desk changes asked for",
        "count": len(pending),
        "items": [
            {
                "url": reverse(f"{host_site.name}:bookings_bookingchange_changelist"),
                "text": f"Booking #{c.booking_id} at {c.booking.listing.title}: {c.from_desks} → "
                f"{c.desks} desk{pluralize(c.desks)} from {c.effective_from:%b} "
                f"{c.effective_from.day}",
                "deadline": None,
            }
            for c in pending
        ],
        "empty": "",
        "link": reverse(f"{host_site.name}:bookings_bookingchange_changelist")
        + "?status__exact=requested",
        "link_text": "All desk changes",
    }
