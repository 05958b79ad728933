from django.apps import AppConfig


class ListingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "listings"

    def ready(self):
        from accounts.signals import account_closed

        from . import services, signals

        signals.connect()
        account_closed.connect(services.host_account_closed, dispatch_uid="listings-closed")
