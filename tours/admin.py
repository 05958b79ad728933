"""Tours in both admin sites. In /host/ a host sets tour hours and days off for their own
listings, and sees, moves and cancels the tours booked on them; every write goes through
tours.services. In /admin/ operators read everything."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin_params import ForgedParamsMixin, ReadOnlyMixin, ServiceRefusalMixin
from accounts.admin_site import host_site
from listings.models import Listing

from . import selectors, services
from .forms import MoveForm
from .limits import over_rate
from .models import Tour, TourDayOff, TourHours


class _OwnListingsMixin:
    """Rows of the host's own listings only; the listing choice lists only those too."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(listing__host=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "listing":
            kwargs["queryset"] = Listing.objects.owned_by(request.user).exclude(
                status=Listing.Status.ARCHIVED
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TourHoursAdmin(ForgedParamsMixin, admin.ModelAdmin):
    """Writes through the services: tour hours show on the listing's public page."""

    list_display = ["listing", "weekday", "starts", "ends"]
    list_filter = ["listing"]
    list_select_related = ["listing"]
    fields = ["listing", "weekday", "starts", "ends"]

    def save_model(self, request, obj, form, change):
        services.tour_hours_save(hours=obj)

    def delete_model(self, request, obj):
        services.tour_hours_delete(hours=obj)

    def delete_queryset(self, request, queryset):
        for hours in queryset:
            services.tour_hours_delete(hours=hours)


class TourDayOffAdmin(ServiceRefusalMixin, ForgedParamsMixin, admin.ModelAdmin):
    """Writes through the services: a day off twice (two posts at once) is refused."""

    list_display = ["listing", "day", "note"]
    list_filter = ["listing"]
    list_select_related = ["listing"]
    fields = ["listing", "day", "note"]

    def save_model(self, request, obj, form, change):
        services.tour_day_off_save(day_off=obj)

    def delete_model(self, request, obj):
        services.tour_day_off_delete(day_off=obj)

    def delete_queryset(self, request, queryset):
        for day_off in queryset:
            services.tour_day_off_delete(day_off=day_off)


class HostTourHoursAdmin(_OwnListingsMixin, TourHoursAdmin):
    pass


class HostTourDayOffAdmin(_OwnListingsMixin, TourDayOffAdmin):
    pass


class UpcomingFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("past", "Past"), ("all", "All")]

    def choices(self, changelist):
        # "Upcoming" is the default, so Django's "All" (no parameter) is replaced by ours.
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or "upcoming") == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value() or "upcoming":
            case "upcoming":
                return queryset.filter(ends_at__gt=now, status=Tour.Status.BOOKED)
            case "past":
                return queryset.filter(ends_at__lte=now)
        return queryset


TOUR_FIELDS = ["listing", "when", "guest_name", "desks", "move_in", "status", "afternoon"]


class HostTourAdmin(ForgedParamsMixin, admin.ModelAdmin):
    """The tours on a host's listings: upcoming first, per listing; cancel (an action or the
    tour's page) and move (the tour's page) through the services."""

    list_display = ["when", "listing", "guest_name", "desks", "move_in", "status", "move_link"]
    list_filter = [UpcomingFilter, "listing", "status"]
    list_select_related = ["listing", "guest", "listing__city"]
    fields = readonly_fields = TOUR_FIELDS
    actions = ["cancel_tours"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(listing__host=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in {"listing__id__exact", "status__exact", "when"} or super().lookup_allowed(
            lookup, value, request
        )

    @admin.display(description="When (Denver)", ordering="starts_at")
    def when(self, tour):
        at = timezone.localtime(tour.starts_at)
        return f"{at:%a %b} {at.day}, {at:%-I:%M %p}"

    @admin.display(description="Guest")
    def guest_name(self, tour):
        guest = tour.guest
        return f"{guest.display_name} ({guest.company})" if guest.company else guest.display_name

    @admin.display(description="")
    def move_link(self, tour):
        if not tour.is_booked or tour.starts_at <= timezone.now():
            return ""
        url = reverse(f"{self.admin_site.name}:tours_tour_move", args=[tour.pk])
        return format_html('<a href="{}">Move or cancel</a>', url)

    @admin.action(description="Cancel the selected tours (both sides are told)")
    def cancel_tours(self, request, queryset):
        done = 0
        for tour in queryset:
            try:
                services.tour_cancel(tour=tour, by=request.user)
            except ValidationError as exc:
                self.message_user(
                    request, f"Tour #{tour.pk}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} tour{'s' if done != 1 else ''} cancelled.")

    def get_urls(self):
        move = self.admin_site.admin_view(self.move_view)
        return [path("<int:pk>/move/", move, name="tours_tour_move"), *super().get_urls()]

    def move_view(self, request, pk):
        tour = (
            self.get_queryset(request)
            .select_related("listing__city", "guest")
            .filter(pk=pk)
            .first()
        )
        if tour is None:
            raise Http404("No such tour.")
        if request.method == "POST" and "cancel" in request.POST:
            try:
                services.tour_cancel(tour=tour, by=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, "Tour cancelled; the guest is told.")
            return redirect(f"{self.admin_site.name}:tours_tour_changelist")
        if request.method == "POST" and (limited := over_rate(request)):
            return limited
        form = MoveForm(request.POST or None)
        if form.is_valid():
            try:
                services.tour_move(tour=tour, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, "Tour moved; the guest gets the new time.")
                return redirect(f"{self.admin_site.name}:tours_tour_changelist")
        days = selectors.tour_upcoming_days(listing=tour.listing, days=21, exclude_tour_id=tour.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Move or cancel the tour at {self.when(tour)}",
            "tour": tour,
            "form": form,
            "days": selectors.slot_choices(days),
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/tours/tour_move.html", context, status=400 if form.errors else 200
        )


host_site.register(TourHours, HostTourHoursAdmin)
host_site.register(TourDayOff, HostTourDayOffAdmin)
host_site.register(Tour, HostTourAdmin)


@admin.register(Tour)
class TourAdmin(ReadOnlyMixin, ForgedParamsMixin, admin.ModelAdmin):
    """Operators read tours; changes go through the site or the host admin (a tour ends by a
    cancellation that tells both parties, never by a delete)."""

    list_display = ["pk", "listing", "guest", "starts_at", "status", "sequence"]
    list_filter = ["status"]
    list_select_related = ["listing", "guest"]
    readonly_fields = [f.name for f in Tour._meta.fields]


admin.site.register(TourHours, TourHoursAdmin)
admin.site.register(TourDayOff, TourDayOffAdmin)
