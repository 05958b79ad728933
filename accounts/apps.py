import logging

from django.apps import AppConfig
from django.apps import apps as global_apps

# Imported as a module so that AdminConfig itself is not a member of this module: Django
# picks an app's default config among the AppConfig classes found here.
from django.contrib.admin import apps as admin_apps
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


def hosts_group_sync_after_migrate(sender, *, using, apps=global_apps, **kwargs):
    """Re-sync the Hosts group to the apps' host_permissions after every migrate.

    A deploy runs migrate (Procfile release), so existing hosts get the permissions a release
    adds without anyone becoming a host again. Setup, not business logic: idempotent, and a
    no-op when the group already matches. ``apps`` is the migrated state; flush (as tests
    run it) sends none.
    """
    from django.contrib.auth.management import create_permissions

    from .services import host_permissions, hosts_group_sync

    # auth creates each app's permissions in its own post_migrate receiver, app by app in
    # INSTALLED_APPS order, and accounts comes before listings and bookings: make sure the
    # permissions the list names exist before syncing to them.
    for label in sorted({name.split(".", 1)[0] for name in host_permissions()}):
        create_permissions(sender.apps.get_app_config(label), verbosity=0, using=using, apps=apps)
    try:
        hosts_group_sync()
    except ImproperlyConfigured as exc:
        # Migrating some app backwards (or to a partial state) leaves its permissions out;
        # failing migrate after it has applied its migrations would help no one. host_enable
        # still refuses loudly until the permissions are back.
        logger.warning("Hosts group not synced: %s", exc)


class AccountsConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        post_migrate.connect(
            hosts_group_sync_after_migrate, sender=self, dispatch_uid="accounts-hosts-group"
        )


class OperatorAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with /admin/ limited to operators (superusers)."""

    default = False
    default_site = "accounts.admin_site.OperatorAdminSite"
