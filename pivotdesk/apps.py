from django.apps import AppConfig


class PivotdeskConfig(AppConfig):
    """The project package as an app: its management commands (golive) and template tags."""

    name = "pivotdesk"
    verbose_name = "PivotDesk"
