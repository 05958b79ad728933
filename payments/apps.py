from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = "Payments"

    def ready(self):
        from bookings.signals import booking_approved

        from .services import charge_first_on_approval

        booking_approved.connect(charge_first_on_approval, dispatch_uid="payments-first-charge")
