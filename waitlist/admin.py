"""The waitlist in both admins, read-only: the line changes through the site (guests join,
leave, take up or turn down offers) and the services, never through a form."""

from django.contrib import admin
from django.template.defaultfilters import pluralize
from django.urls import reverse

from accounts.admin_params import ForgedParamsMixin, ReadOnlyMixin
from accounts.admin_site import host_site
from bookings.models import Hold

from . import selectors
from .models import WaitlistEntry

FIELDS = ["listing", "guest", "status", "desks", "start", "months", "hold", "created_at"]


class WaitlistAdminBase(ReadOnlyMixin, ForgedParamsMixin, admin.ModelAdmin):
    list_display = ["place", "listing", "guest", "desks", "start", "months", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["listing", "guest", "hold"]
    search_fields = ["guest__email", "guest__name", "listing__title"]
    fields = readonly_fields = FIELDS
    ordering = ["listing__title", "listing_id", "created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ahead=selectors.ahead_in_line())

    @admin.display(description="Place")
    def place(self, obj):
        return obj.ahead + 1 if obj.status == WaitlistEntry.Status.WAITING else "—"


@admin.register(WaitlistEntry)
class WaitlistAdmin(WaitlistAdminBase):
    """Operators see every line."""


@admin.register(Hold)
class HoldAdmin(ReadOnlyMixin, ForgedParamsMixin, admin.ModelAdmin):
    """Operators see every hold (a waitlist offer's desks), read-only: holds change through
    the waitlist's pages and the clock's sweep."""

    list_display = ["id", "listing", "guest", "desks", "start", "end", "status", "expires_at"]
    list_filter = ["status"]
    list_select_related = ["listing", "guest"]
    search_fields = ["guest__email", "listing__title"]
    fields = readonly_fields = [
        "listing",
        "guest",
        "desks",
        "start",
        "months",
        "end",
        "status",
        "expires_at",
        "booking",
        "created_at",
    ]


class HostWaitlistAdmin(WaitlistAdminBase):
    """A host sees the lines on their own spaces: who waits, for what, in what order."""

    list_display = ["place", "listing", "guest_name", "desks", "start", "months", "status"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(listing__host=request.user)

    @admin.display(description="Guest", ordering="guest__name")
    def guest_name(self, obj):
        return obj.guest.display_name


host_site.register(WaitlistEntry, HostWaitlistAdmin)


@host_site.add_index_panel
def waitlist_panel(request):
    """The host's home page lists who waits on their spaces (nothing when no one does)."""
    waiting = list(
        selectors.waitlist_for_host(host=request.user).filter(status__in=WaitlistEntry.OPEN)[:11]
    )
    if not waiting:
        return None
    return {
        "title": "Waiting for desks to free up",
        "count": len(waiting[:10]),
        "items": [
            {
                "url": reverse(f"{host_site.name}:waitlist_waitlistentry_change", args=[e.pk]),
                "text": f"{e.listing.title}: {e.guest.display_name}, {e.desks} "
                f"desk{pluralize(e.desks)} from {e.start:%b} {e.start.day}"
                + (" (offer open)" if e.status == WaitlistEntry.Status.OFFERED else ""),
            }
            for e in waiting[:10]
        ],
        "empty": "",
        "link": reverse(f"{host_site.name}:waitlist_waitlistentry_changelist"),
        "link_text": "All waitlists",
    }
