from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (``seed_demo``) for ``make run``, review apps and load tests. It builds on
    listings and bookings, so it lives above both, and neither imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
