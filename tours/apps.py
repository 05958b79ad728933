from django.apps import AppConfig


class ToursConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tours"

    def ready(self):
        from listings.signals import listing_archived

        from .services import tours_cancel_on_archive

        listing_archived.connect(tours_cancel_on_archive, dispatch_uid="tours-cancel-on-archive")
