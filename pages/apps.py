from django.apps import AppConfig


class PagesConfig(AppConfig):
    """Terms, Privacy, Contact and the cancellation and notice policy: Django flatpages the
    operator edits in /admin/, seeded with plain-English defaults (migrations)."""

    name = "pages"
    verbose_name = "Site pages"

    def ready(self):
        from . import signals

        signals.connect()
