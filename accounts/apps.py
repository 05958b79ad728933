from django.apps import AppConfig

# Imported as a module so that AdminConfig itself is not a member of this module: Django
# picks an app's default config among the AppConfig classes found here.
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"


class OperatorAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with /admin/ limited to operators (superusers)."""

    default = False
    default_site = "accounts.admin_site.OperatorAdminSite"
