from django.contrib import admin

from .models import Page


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "updated_at"]
    readonly_fields = ["slug", "updated_at"]
    fields = ["slug", "title", "body", "updated_at"]

    def has_add_permission(self, request):
        return False  # the footer links to a fixed set of pages, seeded by a migration

    def has_delete_permission(self, request, obj=None):
        return False
