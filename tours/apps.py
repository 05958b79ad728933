from django.apps import AppConfig


class ToursConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tours"
    # Their tour hours and days off; the tours booked, read-only.
    host_permissions = (
        *(f"{action}_tourhours" for action in ("view", "add", "change", "delete")),
        *(f"{action}_tourdayoff" for action in ("view", "add", "change", "delete")),
        "view_tour",
    )

    def ready(self):
        from accounts.signals import account_closing
        from listings.signals import listing_unlisted

        from .selectors import account_close_blockers
        from .services import tours_cancel_on_unlist

        listing_unlisted.connect(tours_cancel_on_unlist, dispatch_uid="tours-cancel-on-unlist")
        account_closing.connect(account_close_blockers, dispatch_uid="tours-close")
