from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "calendars"
    verbose_name = "Host calendar feeds"

    def ready(self):
        from accounts.signals import account_closed

        from . import services, signals

        signals.connect()
        account_closed.connect(services.calendar_feed_account_closed, dispatch_uid="cal-closed")
