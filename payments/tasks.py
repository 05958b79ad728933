"""Payments' jobs: the first charge after an approval, retries after a new card, deposit
refunds, a closed member's customer deleted at Stripe, and the daily rent run (enqueued by
the clock; also `manage.py charge_rent`)."""

from crontask import cron
from django.tasks import task

from .collect import (
    booking_collect,
    booking_refund,
    booking_refund_part,
    charge_attempt,
    charge_intent_cancel,
    charge_rent,
    customer_stripe_delete,
    deposit_refund,
)


@task
def payments_booking_collect(*, booking_id: int) -> int:
    """After an approval commits: charge the first month and the deposit."""
    return len(booking_collect(booking_id=booking_id))


@task
def payments_charge_attempt(*, charge_id: int) -> bool:
    """Try one due charge again (the guest saved a new card)."""
    return charge_attempt(charge_id=charge_id) is not None


@task
def payments_booking_refund(*, booking_id: int) -> int:
    """A booking cancelled before its start: refund what was paid."""
    return len(booking_refund(booking_id=booking_id))


@task
def payments_booking_refund_part(*, booking_id: int, event_id: int, amount_cents: int) -> int:
    """An operator ended a running booking and gives back part of its rent: refund it."""
    return booking_refund_part(booking_id=booking_id, event_id=event_id, amount_cents=amount_cents)


@task
def payments_intent_cancel(*, charge_id: int) -> bool:
    """A charge voided while it waited for the guest's bank: cancel its PaymentIntent."""
    return charge_intent_cancel(charge_id=charge_id)


@task
def payments_customer_delete(*, customer_id: int, payment_method_id: str = "") -> bool:
    """A member closed their account: detach their cards and delete their customer at
    Stripe (a Stripe error raises: the job is retried)."""
    return customer_stripe_delete(customer_id=customer_id, payment_method_id=payment_method_id)


@task
def payments_deposit_refund(*, settlement_id: int) -> bool:
    """Refund a settled deposit (a Stripe error raises: the job is retried)."""
    return deposit_refund(settlement_id=settlement_id) is not None


@cron("30 8 * * *")
@task
def payments_charge_rent() -> int:
    """Daily: rent on each term's monthly anniversary, retries on days 1, 3, 5, deposits."""
    return charge_rent()
