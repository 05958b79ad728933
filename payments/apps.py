from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = "Payments"
    host_permissions = ("view_charge",)  # their own charges and monthly statement

    def ready(self):
        from accounts.signals import account_closed, account_closing
        from bookings.signals import (
            booking_approved,
            booking_cancelled_before_start,
            booking_ended_by_operator,
            booking_refundable,
        )

        from .selectors import account_close_blockers
        from .services import (
            charge_first_on_approval,
            customer_account_closed,
            refund_on_cancel_before_start,
            refund_on_end_by_operator,
            rent_refundable,
        )

        account_closing.connect(account_close_blockers, dispatch_uid="payments-close")
        account_closed.connect(customer_account_closed, dispatch_uid="payments-closed")

        booking_approved.connect(charge_first_on_approval, dispatch_uid="payments-first-charge")
        booking_cancelled_before_start.connect(
            refund_on_cancel_before_start, dispatch_uid="payments-cancel-refund"
        )
        booking_ended_by_operator.connect(
            refund_on_end_by_operator, dispatch_uid="payments-operator-end"
        )
        booking_refundable.connect(rent_refundable, dispatch_uid="payments-refundable")
