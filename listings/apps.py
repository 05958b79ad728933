from django.apps import AppConfig


class ListingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "listings"
    # What hosts may do in /host/ (accounts.services.host_permissions): never delete a
    # listing (they archive it); photos and monthly extras, inline, fully.
    host_permissions = (
        *("view_listing", "add_listing", "change_listing"),
        *(f"{action}_photo" for action in ("view", "add", "change", "delete")),
        *(f"{action}_listingextra" for action in ("view", "add", "change", "delete")),
    )

    def ready(self):
        from accounts.signals import account_close_listings, account_close_lock, account_closed

        from . import selectors, services, signals

        signals.connect()
        account_close_listings.connect(
            selectors.account_close_listings, dispatch_uid="listings-close-listings"
        )
        account_close_lock.connect(services.account_close_lock, dispatch_uid="listings-close-lock")
        account_closed.connect(services.host_account_closed, dispatch_uid="listings-closed")
