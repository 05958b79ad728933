"""Writes for payments: cards on file (let go of when their member closes the account), the
receivers of bookings' signals, releasing a booking after unpaid rent, settling deposits,
webhooks. What calls Stripe to collect, refund or delete a customer runs in the worker
(payments.collect through payments.tasks): a user's request or a bookings transaction only
enqueues a job, which exists if and only if the write commits. The Stripe calls made here
run in a web request (the card and pay pages, the webhook) and use
``stripe_request_client()``: together they wait at most ``STRIPE_REQUEST_BUDGET_S``.
"""

import datetime
import logging
from decimal import Decimal

import stripe
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from bookings.services import booking_release

from .collect import (
    charge_intent_check,
    charge_record_paid,
    charge_refund_failed_record,
    charge_refunds_outside_record,
    deposit_refund_failed_record,
    deposit_settlement_create,
    refunds_outside,
)
from .emails import PaymentEmail, payment_emails_enqueue
from .models import (
    RELEASE_AFTER,
    Charge,
    Customer,
    DepositSettlement,
    WebhookEvent,
)
from .rules import dollars_to_cents
from .selectors import booking_rent_refundable_cents
from .stripe_api import configured, stripe_request_client
from .tasks import (
    payments_booking_collect,
    payments_booking_refund,
    payments_booking_refund_part,
    payments_charge_attempt,
    payments_customer_delete,
    payments_deposit_refund,
    payments_intent_cancel,
)

logger = logging.getLogger(__name__)

CARD_NOT_YOURS = "That card setup does not belong to your account."
CARD_NOT_SAVED = "Your card was not saved: {error}"
RELEASE_NOT_HOST = "Only the host of this space can release the booking."
RELEASE_TOO_SOON = "A booking can be released once its rent has been due for 7 days."
RELEASE_NOTE = "Released by the host: rent was unpaid for 7 days. The desks are free again."
STRIPE_UNREACHABLE = "Payments are not reachable right now; try again in a minute."


# --- Cards ---------------------------------------------------------------------------------


def customer_for(*, user: User) -> Customer:
    """The guest's Stripe customer, made at Stripe the first time (outside any lock)."""
    existing = Customer.objects.filter(user=user).first()
    if existing is not None:
        return existing
    made = stripe_request_client().v1.customers.create(
        params={"email": user.email, "metadata": {"user_id": str(user.pk)}},
        options={"idempotency_key": f"customer-{user.pk}"},
    )
    try:
        with transaction.atomic():
            return Customer.objects.create(user=user, stripe_id=made.id)
    except IntegrityError:  # a second tab made it at the same moment
        return Customer.objects.get(user=user)


def card_setup_start(*, user: User) -> str:
    """Start saving a card: a SetupIntent for off-session use; returns its client secret for
    Stripe.js (Elements). Raises ValidationError when Stripe cannot be reached."""
    try:
        customer = customer_for(user=user)
        intent = stripe_request_client().v1.setup_intents.create(
            params={"customer": customer.stripe_id, "usage": "off_session"}
        )
    except stripe.StripeError as exc:
        logger.warning("SetupIntent for user %s failed: %s", user.pk, exc)
        raise ValidationError(STRIPE_UNREACHABLE) from exc
    return intent.client_secret


def card_setup_finish(*, user: User, setup_intent_id: str) -> Customer:
    """Record the card a SetupIntent saved (asked of Stripe, never taken from the browser),
    make it the customer's default, and try again any rent of this guest that is due."""
    customer = Customer.objects.filter(user=user).first()
    if customer is None or not setup_intent_id.startswith("seti_"):
        raise ValidationError(CARD_NOT_YOURS)
    client = stripe_request_client()
    try:
        intent = client.v1.setup_intents.retrieve(setup_intent_id)
        if intent.customer != customer.stripe_id:
            raise ValidationError(CARD_NOT_YOURS)
        if intent.status != "succeeded" or not intent.payment_method:
            raise ValidationError(CARD_NOT_SAVED.format(error=intent.status))
        method = client.v1.payment_methods.retrieve(intent.payment_method)
    except stripe.InvalidRequestError as exc:
        raise ValidationError(CARD_NOT_YOURS) from exc
    except stripe.StripeError as exc:
        raise ValidationError(STRIPE_UNREACHABLE) from exc
    card = method.to_dict().get("card") or {}
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.is_closed:  # the account closed while Stripe was asked
            raise ValidationError(CARD_NOT_YOURS)
        customer.payment_method_id = method.id
        customer.card_brand = str(card.get("brand") or "")[:32]
        customer.card_last4 = str(card.get("last4") or "")[:4]
        month, year = card.get("exp_month"), card.get("exp_year")
        customer.card_exp = f"{int(month):02d}/{year}" if month and year else ""
        customer.card_saved_at = timezone.now()
        customer.full_clean()
        customer.save()
        due = list(
            Charge.objects.filter(booking__guest=user, status=Charge.Status.DUE).values_list(
                "pk", flat=True
            )
        )
        if due:
            for pk in due:
                transaction.on_commit(lambda pk=pk: payments_charge_attempt.enqueue(charge_id=pk))
    return customer


def customer_account_closed(sender, *, user: User, **kwargs) -> None:
    """Receiver of ``accounts.signals.account_closed``: the closed member's card on file is
    forgotten here and the customer marked closed, under its row lock (after the user's);
    the job that detaches the card and deletes the customer at Stripe is written in the
    close's transaction, so it runs once the close commits and is retried while Stripe
    fails. Nothing here calls Stripe: an outage never holds up or refuses a close.
    Idempotent: a closed customer is left as it is."""
    customer = Customer.objects.select_for_update().filter(user_id=user.pk).first()
    if customer is None or customer.is_closed:
        return
    # The card's id travels in the job's arguments, the one place it outlives the row's
    # fields (finished jobs are pruned): the job detaches it even where Stripe would not
    # list it under the customer.
    card_id = customer.payment_method_id
    customer.payment_method_id = customer.card_brand = ""
    customer.card_last4 = customer.card_exp = ""
    customer.card_saved_at = None
    customer.closed_at = timezone.now()
    customer.full_clean()
    customer.save()
    payments_customer_delete.enqueue(customer_id=customer.pk, payment_method_id=card_id)


# --- Charges -------------------------------------------------------------------------------


def charge_first_on_approval(sender, *, booking: Booking, **kwargs) -> None:
    """``bookings.signals.booking_approved`` receiver: inside the approving transaction,
    enqueue the job that charges the first month and the deposit. The job row commits or
    rolls back with the approval; Stripe is called by the worker, after the commit. Nothing
    happens while Stripe is not configured (no keys)."""
    if not configured():
        return  # payments are off without keys (golive blocks that in production)
    payments_booking_collect.enqueue(booking_id=booking.pk)


# --- Payments the guest's bank must confirm (3-D Secure) ------------------------------------


def charge_authentication_start(*, user: User, charge: Charge) -> tuple[Charge, str, str]:
    """The guest's page for a charge waiting for their bank: ask Stripe how its
    PaymentIntent stands. Returns the charge (recorded paid if Stripe says it succeeded,
    as the webhook would), the client secret Stripe.js confirms that same PaymentIntent
    with, and the card it uses (the card on file); both "" once nothing is left to
    confirm. Raises ValidationError when Stripe cannot be reached."""
    if not charge.needs_authentication:
        return charge, "", ""
    try:
        intent = stripe_request_client().v1.payment_intents.retrieve(charge.payment_intent_id)
    except stripe.StripeError as exc:
        raise ValidationError(STRIPE_UNREACHABLE) from exc
    if intent.status in ("succeeded", "processing"):
        return charge_authentication_finish(user=user, charge=charge), "", ""
    customer = Customer.objects.filter(user=user).first()
    return charge, intent.client_secret, customer.payment_method_id if customer else ""


def charge_authentication_finish(*, user: User, charge: Charge) -> Charge:
    """After Stripe.js confirmed the PaymentIntent: read it back from Stripe (never from the
    browser) and record a success on the row, under its lock, through the path the webhook
    and the worker use; whichever comes first records it, the others find it paid. Raises
    ValidationError when Stripe cannot be reached."""
    with transaction.atomic():
        locked = (
            Charge.objects.select_for_update()
            .filter(pk=charge.pk, booking__guest=user, status=Charge.Status.DUE)
            .exclude(payment_intent_id="")
            .first()
        )
        if locked is None:
            return Charge.objects.get(pk=charge.pk)
        try:
            charge_intent_check(locked, client=stripe_request_client(), now=timezone.now())
        except stripe.StripeError as exc:
            raise ValidationError(STRIPE_UNREACHABLE) from exc
        return locked


# --- Cancelled before the start: everything paid goes back ----------------------------------


def _void_unpaid(booking: Booking, *, periods_from: datetime.date | None = None) -> None:
    """The booking's unpaid charges (those for periods from ``periods_from`` on, if given)
    become void. One waiting on a PaymentIntent (the guest's bank) has it cancelled at
    Stripe by a job, written in this transaction: the emailed link can no longer take money
    for a booking that is off."""
    unpaid = Charge.objects.filter(booking=booking).unpaid()
    if periods_from is not None:
        unpaid = unpaid.filter(period_start__gte=periods_from)
    waiting = list(unpaid.exclude(payment_intent_id="").values_list("pk", flat=True))
    unpaid.update(status=Charge.Status.VOID, next_attempt_at=None, updated_at=timezone.now())
    for pk in waiting:
        payments_intent_cancel.enqueue(charge_id=pk)


def refund_on_cancel_before_start(sender, *, booking: Booking, **kwargs) -> None:
    """``bookings.signals.booking_cancelled_before_start`` receiver: unpaid charges become
    void and a job refunds the paid ones (rent and deposit, less any refund already made),
    after the cancel commits."""
    _void_unpaid(booking)
    if Charge.objects.filter(booking=booking).refundable().exists():
        payments_booking_refund.enqueue(booking_id=booking.pk)


# --- Ended by an operator: part of the rent may go back --------------------------------------


def rent_refundable(sender, *, booking: Booking, **kwargs) -> Decimal | None:
    """``bookings.signals.booking_refundable`` receiver: the rent paid and not refunded, in
    dollars; None while Stripe is not configured (no refund is offered)."""
    if not configured():
        return None
    return Decimal(booking_rent_refundable_cents(booking=booking)) / 100


def refund_on_end_by_operator(
    sender, *, booking: Booking, event, refund: Decimal, **kwargs
) -> None:
    """``bookings.signals.booking_ended_by_operator`` receiver, inside the operator's
    transaction: no rent for a period from the new end on (the daily run writes none,
    ``rules.term_periods``; one written before the end moved — the period that begins on
    the end day — is void if unpaid, its rent given back whole if paid), and the refund
    asked for on top: one job, run after the commit, which takes the newest periods first."""
    _void_unpaid(booking, periods_from=booking.end)
    after_end = booking_rent_refundable_cents(booking=booking, periods_from=booking.end)
    amount_cents = dollars_to_cents(refund) + after_end
    if amount_cents:
        payments_booking_refund_part.enqueue(
            booking_id=booking.pk, event_id=event.pk, amount_cents=amount_cents
        )


# --- Release after unpaid rent --------------------------------------------------------------


def release_allowed(*, booking: Booking, now: datetime.datetime | None = None) -> bool:
    """Whether the host may release ``booking``: approved, with a charge due 7 days."""
    now = now or timezone.now()
    return (
        booking.status == Booking.Status.APPROVED
        and Charge.objects.filter(
            booking=booking, status=Charge.Status.DUE, first_failed_at__lte=now - RELEASE_AFTER
        ).exists()
    )


@transaction.atomic
def booking_release_unpaid(*, booking: Booking, host: User) -> Booking:
    """The host releases a booking whose rent went unpaid 7 days: the desks free up, the
    guest is told (bookings.services.booking_release), its unpaid charges are voided."""
    if host.pk != booking.listing.host_id:
        raise ValidationError(RELEASE_NOT_HOST)
    if not release_allowed(booking=booking):
        raise ValidationError(RELEASE_TOO_SOON)
    released = booking_release(booking=booking, by=host, note=RELEASE_NOTE)
    _void_unpaid(booking)
    return released


# --- Deposits --------------------------------------------------------------------------------


@transaction.atomic
def deposit_settle(
    *,
    booking: Booking,
    host: User | None,
    keep_cents: int = 0,
    reason: str = "",
    today: datetime.date | None = None,
) -> DepositSettlement:
    """The host decides the deposit after the end (``deposit_settlement_create``); the
    refund is made by a job after the settlement commits."""
    settlement = deposit_settlement_create(
        booking=booking, host=host, keep_cents=keep_cents, reason=reason, today=today
    )
    transaction.on_commit(lambda: payments_deposit_refund.enqueue(settlement_id=settlement.pk))
    return settlement


# --- Webhooks --------------------------------------------------------------------------------


def webhook_apply(*, event: stripe.Event) -> str:
    """Apply a verified Stripe event once (its id is stored); return what it did.

    Events may come late, twice or out of order: a PaymentIntent that succeeded marks its
    charge paid whatever came before; a failure never undoes a payment.
    """
    with transaction.atomic():
        record, made = WebhookEvent.objects.get_or_create(
            stripe_id=event.id,
            defaults={
                "type": event.type[:100],
                "created": datetime.datetime.fromtimestamp(event.created, tz=datetime.UTC),
            },
        )
        if not made:
            return "already applied"
        outcome = _webhook_outcome(event)
        record.outcome = outcome[:200]
        record.save(update_fields=["outcome"])
    return outcome


# Refund events: each makes us read the PaymentIntent's refunds from Stripe again.
REFUND_EVENTS = {
    "charge.refunded",
    "charge.refund.updated",
    "refund.created",
    "refund.updated",
    "refund.failed",
}
# A refund Stripe accepted and then could not make (the card was closed): a final status.
REFUND_FAILED = ("failed", "canceled")


def _webhook_outcome(event: stripe.Event) -> str:
    if event.type in REFUND_EVENTS:
        return refund_outside_record(payment_intent_id=event.data.object["payment_intent"])
    if not event.type.startswith("payment_intent."):
        return "ignored"
    intent = event.data.object.to_dict()
    charge_id = (intent.get("metadata") or {}).get("charge_id", "")
    if not str(charge_id).isdigit():
        return "not ours"
    charge = Charge.objects.select_for_update().filter(pk=int(charge_id)).first()
    if charge is None or intent.get("amount") != charge.amount_cents:
        return "no matching charge"
    if event.type == "payment_intent.succeeded":
        if charge.status == Charge.Status.PAID:
            return "already paid"
        if charge.status == Charge.Status.VOID:
            return "void charge paid: refund by hand"
        charge_record_paid(charge, intent_id=intent["id"], now=timezone.now())
        return "paid"
    return "noted"


def refund_outside_record(*, payment_intent_id: str) -> str:
    """Read a PaymentIntent's refunds back from Stripe (whatever the event said, so late,
    repeated or out-of-order events agree) and record what changed. Refunds made outside
    our flow (Stripe's dashboard; ours carry metadata) get one ``ChargeRefund`` row per
    Stripe refund (its id is unique: a row is written once) through
    ``charge_refund_record`` (the charge's total is the sum of its rows), and the guest is
    emailed when that total grows. Any refund, ours or not, that Stripe reports failed or
    canceled is recorded as failed (``refunds_failed_record``). Emails are jobs written in
    this transaction. Lock order: the charge, then its rows (then a deposit settlement).
    Runs inside the webhook's transaction; raises ``stripe.StripeError`` when Stripe cannot
    be read."""
    if not isinstance(payment_intent_id, str) or not payment_intent_id.startswith("pi_"):
        return "not ours"
    charge = Charge.objects.select_for_update().filter(payment_intent_id=payment_intent_id).first()
    if charge is None:
        return "no matching charge"
    refunds = stripe_request_client().v1.refunds.list(
        params={"payment_intent": payment_intent_id, "limit": 100}
    )
    listed = [r.to_dict() for r in refunds.data]
    failed = refunds_failed_record(
        charge=charge, refunds=[r for r in listed if r.get("status") in REFUND_FAILED]
    )
    if not refunds_outside(listed):
        if failed:
            return "refund failed"
        return "already recorded" if charge.status == Charge.Status.REFUNDED else "none outside"
    if not charge.is_collected:
        return "refund of an unpaid charge: check by hand"
    # The email job is written in the webhook's transaction: the guest hears of a refund
    # once it is recorded, once per refund (a replayed event changes nothing).
    if not charge_refunds_outside_record(charge=charge, refunds=listed):
        return "refund failed" if failed else "already recorded"
    return "refunded outside"


def refunds_failed_record(*, charge: Charge, refunds: list[dict]) -> int:
    """Refunds of ``charge`` (Stripe's objects) that Stripe reports failed or canceled: a
    charge's refund row is marked failed and its totals written again
    (``collect.charge_refund_failed_record``); a deposit settlement refunded by one goes to
    "Refund failed" (``collect.deposit_refund_failed_record``). Each newly failed refund is
    logged at ERROR (charge and refund named) and told to the guest once (an email job in
    this transaction, keyed by the refund). A refund without a row (failed before we
    recorded it) changes nothing. Returns how many were marked now: a replay marks none.
    Caller holds the charge's row lock and a transaction."""
    marked = 0
    now = timezone.now()
    for refund in refunds:
        reason = refund.get("failure_reason") or refund.get("status") or ""
        row = charge_refund_failed_record(
            charge=charge, stripe_id=refund["id"], reason=reason, failed_at=now
        )
        if row is not None:
            logger.error(
                "Refund %s of charge %s (%s cents) %s at Stripe (%s): not given back",
                refund["id"],
                charge.pk,
                row.amount_cents,
                refund.get("status"),
                row.failure_reason,
            )
            payment_emails_enqueue(
                [PaymentEmail(kind="refund_failed", charge_id=charge.pk, refund_id=row.stripe_id)]
            )
            marked += 1
            continue
        settlement = deposit_refund_failed_record(stripe_id=refund["id"])
        if settlement is not None:
            logger.error(
                "Refund %s of the deposit of booking %s (settlement %s, charge %s) %s at "
                "Stripe (%s): not given back",
                refund["id"],
                settlement.booking_id,
                settlement.pk,
                charge.pk,
                refund.get("status"),
                reason,
            )
            payment_emails_enqueue(
                [
                    PaymentEmail(
                        kind="deposit_failed", settlement_id=settlement.pk, refund_id=refund["id"]
                    )
                ]
            )
            marked += 1
    return marked
