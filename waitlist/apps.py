from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "waitlist"

    def ready(self):
        from listings.signals import desks_freed

        from .tasks import offers_queue_for_listing

        desks_freed.connect(offers_queue_for_listing, dispatch_uid="waitlist-offers")
