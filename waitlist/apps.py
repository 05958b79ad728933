from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "waitlist"
    host_permissions = ("view_waitlistentry",)  # the lines on their own spaces, read-only

    def ready(self):
        from accounts.signals import account_close_listings, account_closed
        from listings.signals import desks_freed

        from .selectors import account_close_listings as close_listings
        from .services import waitlist_account_closed
        from .tasks import offers_queue_for_listing

        desks_freed.connect(offers_queue_for_listing, dispatch_uid="waitlist-offers")
        account_close_listings.connect(close_listings, dispatch_uid="waitlist-close-listings")
        account_closed.connect(waitlist_account_closed, dispatch_uid="waitlist-closed")
