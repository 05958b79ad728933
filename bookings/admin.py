"""Bookings in both admins. Nothing here writes a status directly: the host's actions and
buttons call the same services as the site, so the capacity rule and the history hold."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import pluralize
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.admin_site import host_site
from pivotdesk.admin_params import ForgedParamsMixin

from . import selectors, services
from .admin_archive import archive_listings_view
from .models import Booking, BookingEvent, Message


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class BookingEventInline(ReadOnlyInline):
    model = BookingEvent
    fields = readonly_fields = ["at", "from_status", "to_status", "actor", "note"]
    verbose_name = "status change"
    verbose_name_plural = "history"


class MessageInline(ReadOnlyInline):
    model = Message
    fields = readonly_fields = ["created_at", "author", "body"]


BOOKING_FIELDS = [
    "listing",
    "guest",
    "status",
    "desks",
    "start",
    "months",
    "end",
    "price_per_desk",
    "total",
    "message",
    "decided_at",
    "notice_given_at",
    "created_at",
    "updated_at",
]


class BookingAdminBase(ForgedParamsMixin, admin.ModelAdmin):
    list_display = ["id", "listing", "guest", "desks", "start", "end", "status", "created_at"]
    list_filter = ["status", "start"]
    list_select_related = ["listing", "guest"]
    search_fields = ["guest__email", "guest__name", "listing__title"]
    # ForgedParamsMixin: a forged ?start__year=9999 is an invalid lookup, not a 500.
    date_hierarchy = "start"
    fields = readonly_fields = BOOKING_FIELDS
    inlines = [BookingEventInline, MessageInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Every field is read-only: status changes go through the services, not "Save".
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Never write a booking from the admin form."""

    def get_urls(self):
        archive = self.admin_site.admin_view(lambda r: archive_listings_view(self, r))
        return [
            path("archive-spaces/", archive, name="bookings_booking_archive_listings"),
            *super().get_urls(),
        ]


@admin.register(Booking)
class BookingAdmin(BookingAdminBase):
    """Operators see everything, read-only; changes go through the site or the host admin."""


class HostBookingAdmin(BookingAdminBase):
    """A host sees the bookings on their own listings and answers requests."""

    # No listing filter: its choices would list every host's listings.
    list_filter = ["status"]
    actions = ["approve_selected", "decline_selected"]
    change_form_template = "bookings/admin/booking_change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(listing__host=request.user)

    @staticmethod
    def _described(booking) -> str:
        return (
            f"#{booking.pk} from {booking.guest.display_name} ({booking.desks} "
            f"desk{pluralize(booking.desks)} from {booking.start:%B} {booking.start.day})"
        )

    def _answer(self, request, bookings, service, done):
        """Answer each request in the order they arrived: first come, first served. Each
        commits on its own, so one that does not fit keeps the others; the host reads which
        did not fit and why, including those an earlier approval in this batch declined."""
        bookings = sorted(bookings, key=lambda b: (b.created_at, b.pk))
        waiting = {b.pk for b in bookings if b.is_pending}
        ok = 0
        for booking in bookings:
            booking.refresh_from_db(fields=["status"])
            if booking.pk in waiting and booking.status == Booking.Status.DECLINED:
                self.message_user(
                    request,
                    f"Request {self._described(booking)} did not fit once the earlier requests "
                    f"were approved: it was declined and the guest told.",
                    messages.WARNING,
                )
                continue
            try:
                service(booking=booking, host=request.user)
            except ValidationError as exc:
                self.message_user(
                    request,
                    f"Request {self._described(booking)}: {' '.join(exc.messages)}",
                    messages.ERROR,
                )
            else:
                ok += 1
        if ok:
            self.message_user(
                request, f"{done} {ok} booking request{pluralize(ok)}.", messages.SUCCESS
            )

    @admin.action(description="Approve selected requests", permissions=["change"])
    def approve_selected(self, request, queryset):
        self._answer(
            request, queryset.select_related("guest"), services.booking_approve, "Approved"
        )

    @admin.action(description="Decline selected requests", permissions=["change"])
    def decline_selected(self, request, queryset):
        self._answer(
            request, queryset.select_related("guest"), services.booking_decline, "Declined"
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="bookings_booking_approve",
            ),
            path(
                "<int:pk>/decline/",
                self.admin_site.admin_view(self.decline_view),
                name="bookings_booking_decline",
            ),
            *super().get_urls(),
        ]

    def _button(self, request, pk, service, done):
        booking = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, booking):
            raise PermissionDenied
        self._answer(request, [booking], service, done)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:bookings_booking_change", args=[booking.pk])
        )

    def approve_view(self, request, pk):
        return require_POST(self._button)(request, pk, services.booking_approve, "Approved")

    def decline_view(self, request, pk):
        return require_POST(self._button)(request, pk, services.booking_decline, "Declined")


host_site.register(Booking, HostBookingAdmin)


PANEL_REQUESTS_SHOWN = 10


@host_site.add_index_panel
def pending_requests_panel(request):
    """The host admin's home page starts with the requests waiting for this host's answer."""
    pending = selectors.pending_requests_for_host(host=request.user)
    shown = list(pending[: PANEL_REQUESTS_SHOWN + 1])
    more = len(shown) > PANEL_REQUESTS_SHOWN
    return {
        "title": "Waiting for your answer",
        "count": pending.count() if more else len(shown),
        "items": [
            {
                "url": reverse(f"{host_site.name}:bookings_booking_change", args=[b.pk]),
                "text": f"#{b.pk} · {b.guest.display_name}: {b.desks} desk{pluralize(b.desks)} at "
                f"{b.listing.title}, from {b.start:%b} {b.start.day}",
                "deadline": b.answer_by,
            }
            for b in shown[:PANEL_REQUESTS_SHOWN]
        ],
        "empty": "No requests are waiting for your answer.",
        "link": reverse(f"{host_site.name}:bookings_booking_changelist")
        + "?status__exact=requested",
        "link_text": "All open requests",
    }
