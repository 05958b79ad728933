from django.apps import AppConfig


class ToursConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tours"

    def ready(self):
        from accounts.signals import account_closing

        from .selectors import account_close_blockers

        account_closing.connect(account_close_blockers, dispatch_uid="tours-close")
