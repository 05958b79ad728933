from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "calendars"
    verbose_name = "Host calendar feeds"

    def ready(self):
        from . import signals

        signals.connect()
