from django.apps import AppConfig


class PivotdeskConfig(AppConfig):
    """The project package as an app: template tags and cache-invalidation signals."""

    name = "pivotdesk"
    verbose_name = "PivotDesk"

    def ready(self):
        from . import cache_signals

        cache_signals.connect()
