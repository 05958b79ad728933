from django.apps import AppConfig


class PivotdeskConfig(AppConfig):
    """The project package as an app: template tags and cache-invalidation signals."""

    name = "pivotdesk"
    verbose_name = "PivotDesk"

    def ready(self):
        from django.utils.autoreload import file_changed

        from . import cache_signals, codeversion

        cache_signals.connect()
        # runserver: a template edit reloads no process (Django resets its template loaders
        # instead), so the code version is worked out again, or `make run` would keep
        # serving the page as it was before the edit.
        file_changed.connect(codeversion.forget, dispatch_uid="pivotdesk.codeversion")
