"""Bookings in both admins. Nothing here writes a status directly: the host's actions and
buttons call the same services as the site, so the capacity rule and the history hold."""

import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts.admin_params import ForgedParamsMixin
from accounts.admin_site import host_site

from . import selectors, services
from .admin_archive import archive_listings_view
from .admin_end import can_end, end_booking_view
from .forms import DeclineForm
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


class HostBookingEventInline(BookingEventInline):
    """The history as the host reads it: "by" names the member who acted, or PivotDesk for
    the system and operators (``BookingEvent.actor_shown``)."""

    fields = readonly_fields = ["at", "from_status", "to_status", "by", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "booking__listing")

    @admin.display(description="by")
    def by(self, obj):
        return obj.actor_shown(obj.booking)


class MessageInline(ReadOnlyInline):
    model = Message
    fields = readonly_fields = ["created_at", "author", "body"]


BOOKING_FIELDS = [
    "listing",
    "guest",
    "team",
    "continues",
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
    "ended_by_operator_at",
    "end_reason",
    "created_at",
    "updated_at",
]


DECLINE_NONE_WAITING = (
    "None of the selected bookings is a request of yours waiting for an answer: nothing was "
    "declined."
)
DECLINE_SKIPPED = (
    "{n} of the selected bookings {verb} skipped: only your own requests waiting for an answer "
    "can be declined."
)


DID_NOT_FIT = (
    "Request {request} did not fit once the earlier requests were approved: it was declined "
    "and the guest told."
)
ALREADY_DECLINED = "Request {request} was already declined: the guest was told once."


def decline_skipped_message(n: int) -> str:
    return DECLINE_SKIPPED.format(n=n, verb="was" if n == 1 else "were")


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply to the guest",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": services.MESSAGE_EMPTY},
    )


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
    """Operators see everything, read-only; changes go through the site or the host admin,
    and "End this booking" (bookings.admin_end), which operators alone have."""

    change_form_template = "bookings/admin/booking_operator_change_form.html"

    def get_urls(self):
        end = self.admin_site.admin_view(lambda request, pk: end_booking_view(self, request, pk))
        return [path("<int:pk>/end/", end, name="bookings_booking_end"), *super().get_urls()]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        booking = self.get_object(request, object_id) if object_id else None
        today = timezone.localdate()
        extra_context = {
            **(extra_context or {}),
            "can_end": booking is not None and can_end(booking, request.user, today),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)


class HostBookingAdmin(BookingAdminBase):
    """A host sees the bookings on their own listings and answers requests: the list is
    what a host scans (fits 1280 px, cards on a phone), the booking page answers, declines
    with a reason and replies in the thread."""

    list_display = [
        "booking",
        "space",
        "guest_name",
        "desks",
        "dates",
        "status",
        "answer",
        "answer_buttons",
    ]
    list_display_links = ["booking"]
    fields = readonly_fields = [
        "listing",
        "guest_name",
        "team",
        "status",
        "desks",
        "start",
        "months",
        "end",
        "price",
        "message",
        "decided_at",
        "notice_given_at",
        "ended_by_operator_at",
        "end_reason",
        "created_at",
    ]
    # The thread is shown (and answered) under the form: booking_change_form.html.
    inlines = [HostBookingEventInline]
    # No listing filter: its choices would list every host's listings.
    list_filter = ["status"]
    actions = ["approve_selected", "decline_selected"]
    change_form_template = "bookings/admin/booking_change_form.html"
    change_list_template = "bookings/admin/booking_change_list.html"

    class Media:
        css = {"all": ["bookings/admin.css"]}

    @admin.display(description="Booking", ordering="pk")
    def booking(self, obj):
        return f"#{obj.pk}"

    @admin.display(description="Space", ordering="listing__title")
    def space(self, obj):
        return obj.listing.title

    @admin.display(description="Guest", ordering="guest__name")
    def guest_name(self, obj):
        return obj.guest.display_name

    @admin.display(description="Dates", ordering="start")
    def dates(self, obj):
        start, end = obj.start, obj.end
        return f"{start:%b} {start.day}, {start.year} – {end:%b} {end.day}, {end.year}"

    @admin.display(description="Price")
    def price(self, obj):
        return (
            f"${obj.price_per_desk:,.2f} per desk per month · ${obj.price_per_month:,.2f} per "
            f"month · ${obj.total:,.2f} for the term"
        )

    @admin.display(description="Answer by")
    def answer(self, obj):
        if not obj.is_pending:
            return "—"
        at = timezone.localtime(obj.answer_by)
        return f"{at:%b} {at.day}, {date_format(at, 'g:i a')}"

    @admin.display(description="Answer")
    def answer_buttons(self, obj):
        """Approve at once (a button of the page's own form for this row, outside the list's
        form: booking_change_list.html); Decline opens the booking, which asks for a reason."""
        if not obj.is_pending:
            return ""
        change = reverse(f"{self.admin_site.name}:bookings_booking_change", args=[obj.pk])
        return format_html(
            '<span class="booking-row-answer"><button type="submit" form="approve-{}" '
            'class="button" aria-label="Approve #{}">Approve</button> <a href="{}#answer" '
            'class="button booking-row-decline" aria-label="Decline #{} (with a reason)">'
            "Decline</a></span>",
            obj.pk,
            obj.pk,
            change,
            obj.pk,
        )

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Your bookings", **(extra_context or {})})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # "Booking #12", once: not "Change booking" over the booking's name again.
        context = {"title": f"Booking #{object_id}", "subtitle": "", **(extra_context or {})}
        if object_id is not None:
            context["reply_form"] = ReplyForm()
        return super().changeform_view(request, object_id, form_url, context)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(listing__host=request.user)

    @staticmethod
    def _described(booking) -> str:
        return (
            f"#{booking.pk} from {booking.guest.display_name} ({booking.desks} "
            f"desk{pluralize(booking.desks)} from {booking.start:%B} {booking.start.day})"
        )

    def _answer(self, request, bookings, service, done, declined_meanwhile=DID_NOT_FIT):
        """Answer each request in the order they arrived: first come, first served. Each
        commits on its own, so one that does not fit keeps the others; the host reads which
        did not fit and why, including those declined while the batch ran
        (``declined_meanwhile``: for approvals, by an earlier approval in this batch)."""
        bookings = sorted(bookings, key=lambda b: (b.created_at, b.pk))
        waiting = {b.pk for b in bookings if b.is_pending}
        ok = 0
        for booking in bookings:
            booking.refresh_from_db(fields=["status"])
            if booking.pk in waiting and booking.status == Booking.Status.DECLINED:
                self.message_user(
                    request,
                    declined_meanwhile.format(request=self._described(booking)),
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
        """Django's intermediate page for an action: the first POST (from the list) shows the
        requests it will decline and asks for the reason the guests read; the page's POST
        (``post``) declines each with it, as the booking page's Decline does. Only this
        host's requests waiting for an answer: the rest of the selection is skipped, and the
        host is told how many and why."""
        selected = self._selected_count(request, queryset)
        waiting = list(queryset.pending().select_related("guest").order_by("created_at", "pk"))
        skipped = selected - len(waiting)
        if not waiting:
            self.message_user(request, DECLINE_NONE_WAITING, messages.WARNING)
            return None
        form = DeclineForm(request.POST if request.POST.get("post") else None)
        if form.is_valid():
            decline = functools.partial(
                services.booking_decline, reason=form.cleaned_data["reason"]
            )
            # A second submit of this page, or the booking page's Decline, got there first.
            self._answer(request, waiting, decline, "Declined", ALREADY_DECLINED)
            if skipped:
                self.message_user(request, decline_skipped_message(skipped), messages.WARNING)
            return None
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            "bookings/admin/decline_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": "Decline these requests?",
                "subtitle": "",
                "opts": self.opts,
                "bookings": waiting,
                "form": form,
                "skipped": decline_skipped_message(skipped) if skipped else "",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "back": reverse(f"{self.admin_site.name}:bookings_booking_changelist"),
            },
        )

    def _selected_count(self, request, queryset) -> int:
        """How many bookings the host selected: the ids posted (each once; ids of other
        hosts' bookings too, which ``queryset`` leaves out), or with "select all" the list."""
        if request.POST.get("select_across") == "1":
            return queryset.count()
        to_python = self.model._meta.pk.to_python
        return len({to_python(pk) for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)})

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
            path(
                "<int:pk>/reply/",
                self.admin_site.admin_view(self.reply_view),
                name="bookings_booking_reply",
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
        """Decline, with the reason the host typed (optional; the guest reads it)."""
        return require_POST(self._decline)(request, pk)

    def _decline(self, request, pk):
        form = DeclineForm(request.POST)
        if not form.is_valid():
            self.message_user(request, " ".join(form.errors["reason"]), messages.ERROR)
            return HttpResponseRedirect(
                reverse(f"{self.admin_site.name}:bookings_booking_change", args=[pk])
            )
        decline = functools.partial(services.booking_decline, reason=form.cleaned_data["reason"])
        return self._button(request, pk, decline, "Declined")

    def reply_view(self, request, pk):
        return require_POST(self._reply)(request, pk)

    def _reply(self, request, pk):
        booking = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, booking):
            raise PermissionDenied
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                services.message_create(
                    booking=booking, author=request.user, body=form.cleaned_data["body"]
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Sent to {booking.guest.display_name}; they get it by email too.",
                    messages.SUCCESS,
                )
        else:
            self.message_user(request, " ".join(form.errors["body"]), messages.ERROR)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:bookings_booking_change", args=[booking.pk]) + "#reply"
        )


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


@host_site.add_title_count
def pending_requests_count(request) -> int:
    return selectors.pending_requests_for_host(host=request.user).count()


# Registered by importing them: desk changes and reviews in both admins.
from . import admin_changes, admin_reviews  # noqa: E402, F401
