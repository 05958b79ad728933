"""Operators' /admin/ for accounts: users are identified by email (no username)."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group

from .admin_params import ForgedParamsMixin
from .models import User
from .services import host_enable


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(ForgedParamsMixin, DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "company", "phone", "bio")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_host",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined", "closed_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "name", "company", "is_host", "is_staff", "is_superuser")
    list_filter = ("is_host", "is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "name", "company")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "closed_at")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Ticking "is host" makes a host the one way there is, so the account gets staff and
        # the Hosts group like one that chose "List your space". Here, not in save_model:
        # saving the form's groups (above) would drop a group added before it.
        # A closed account stays closed: its leftover is_host flag gives no access back.
        if form.instance.is_host and not form.instance.is_closed:
            host_enable(user=form.instance)


# Django's Group admin, with the same guard against forged parameters as every other admin.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ForgedParamsMixin, DjangoGroupAdmin):
    pass
