from django.contrib import admin

from .models import Alert, SavedSearch


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    """Operators only (/admin/): to answer "why did I (not) get this alert?"."""

    list_display = ["name", "user", "frequency", "checked_period", "created_at"]
    list_filter = ["frequency"]
    search_fields = ["name", "user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["checked_period", "created_at", "updated_at"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["saved_search", "period", "created_at"]
    search_fields = ["saved_search__name", "saved_search__user__email"]
    raw_id_fields = ["saved_search"]
    readonly_fields = ["saved_search", "period", "listing_ids", "created_at"]
