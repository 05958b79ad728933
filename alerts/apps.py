from django.apps import AppConfig


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"
    verbose_name = "Saved searches and alerts"

    def ready(self):
        from accounts.signals import account_closed

        from .services import saved_searches_account_closed

        account_closed.connect(saved_searches_account_closed, dispatch_uid="alerts-closed")
