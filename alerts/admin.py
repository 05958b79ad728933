from django.contrib import admin

from accounts.admin_params import ForgedParamsMixin, ReadOnlyMixin

from .models import Alert, SavedSearch


@admin.register(SavedSearch)
class SavedSearchAdmin(ReadOnlyMixin, ForgedParamsMixin, admin.ModelAdmin):
    """Operators only (/admin/): to answer "why did I (not) get this alert?". Read-only:
    saved searches are written by their guests, through alerts.services (its limits, its
    checks)."""

    list_display = ["name", "user", "frequency", "checked_period", "created_at"]
    list_filter = ["frequency"]
    search_fields = ["name", "user__email"]
    list_select_related = ["user"]
    fields = readonly_fields = [
        "user",
        "name",
        "query",
        "frequency",
        "checked_period",
        "created_at",
        "updated_at",
    ]


@admin.register(Alert)
class AlertAdmin(ReadOnlyMixin, ForgedParamsMixin, admin.ModelAdmin):
    """The record of each alert email, written by the alert job only."""

    list_display = ["saved_search", "period", "created_at"]
    search_fields = ["saved_search__name", "saved_search__user__email"]
    list_select_related = ["saved_search"]
    fields = readonly_fields = ["saved_search", "period", "listing_ids", "created_at"]
