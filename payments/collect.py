"""Collecting money through Stripe, run by the worker (payments.tasks) and the daily run.

Exactly once per booking-month (docs/decisions/0062):
1. the Charge row for (booking, period) is committed before Stripe is called (a unique
   constraint makes a second row impossible);
2. an attempt locks that row (``SELECT ... FOR UPDATE SKIP LOCKED``) for the whole Stripe
   call, so a concurrent run skips it;
3. before creating a PaymentIntent the attempt asks Stripe for one already made for this
   row (its metadata names the row): a process killed after Stripe answered but before our
   commit left a paid PaymentIntent behind, and the rerun records it instead of charging
   again. Stripe's idempotency key (per booking, period and attempt) covers the same window
   on Stripe's side;
4. a PaymentIntent that needs the guest's bank (3-D Secure) stays the month's one
   PaymentIntent: its id is kept on the row, nothing retries it off-session, and the guest
   completes it on its page (docs/decisions/0140).

Also run by the worker: a closed member's customer deleted at Stripe
(``customer_stripe_delete``).

Nothing here enqueues a job: payments.services (requests, receivers) enqueues the tasks that
call these. Lock order: the charge row, then its refund rows.
"""

import datetime
import logging

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking

from .emails import PaymentEmail, payment_emails_enqueue
from .models import (
    DEPOSIT_REFUND_AFTER_DAYS,
    RETRY_DAYS,
    Charge,
    ChargeRefund,
    Customer,
    DepositSettlement,
)
from .rules import cents_to_text, fee_cents, monthly_rent_cents, period_rent_cents, term_periods
from .selectors import deposit_held_q, deposit_paid_charge_for
from .stripe_api import configured, stripe_client

logger = logging.getLogger(__name__)

NO_CARD = "No card on file."
NEEDS_AUTHENTICATION = "Your bank asks you to confirm this payment."
RECONCILE_WINDOW = datetime.timedelta(minutes=10)
DEPOSIT_NOT_HOST = "Only the host of this space can settle the deposit."
DEPOSIT_NOT_ENDED = "The deposit is settled after the booking ends."
DEPOSIT_ALREADY = "This deposit has already been settled."
DEPOSIT_NONE = "This booking has no deposit paid."
DEPOSIT_KEEP_TOO_MUCH = "You can keep at most the deposit held ({held})."
DEPOSIT_REASON_NEEDED = "Write the reason for keeping part of the deposit: the guest sees it."
REFUND_NOT_COLLECTED = "Only a charge that was paid can be refunded."


@transaction.atomic
def charges_schedule(*, booking: Booking, today: datetime.date) -> list[Charge]:
    """Write the Charge rows now owed by an approved booking and return the new ones: the
    first period at approval (with the deposit), each later one from its anniversary on,
    never a period at or after the end. Safe to run any number of times, concurrently."""
    if booking.status != Booking.Status.APPROVED:
        return []
    made = []
    percent = settings.PLATFORM_FEE_PERCENT
    written = set(Charge.objects.filter(booking=booking).values_list("period_start", flat=True))
    for index, (start, end) in enumerate(term_periods(booking=booking)):
        if index > 0 and start > today:
            break
        if start in written:
            continue
        rent = period_rent_cents(booking=booking, start=start, end=end)
        deposit = (
            monthly_rent_cents(booking=booking) * booking.listing.deposit_months
            if index == 0
            else 0
        )
        charge = Charge(
            booking=booking,
            period_start=start,
            period_end=end,
            desks=booking.desks,
            rent_cents=rent,
            deposit_cents=deposit,
            fee_cents=fee_cents(rent_cents=rent, percent=percent),
        )
        try:
            with transaction.atomic():
                # The unique constraint is checked by the database, race-free.
                charge.full_clean(validate_unique=False, validate_constraints=False)
                charge.save()
        except IntegrityError:
            continue  # a concurrent run wrote this booking-month's row first
        made.append(charge)
    return made


def paid_intent_find(client, *, charge: Charge, customer: Customer):
    """A PaymentIntent Stripe already charged for ``charge`` (an attempt that died before
    recording it), or None. Looks at the customer's recent charges for our metadata."""
    since = int((charge.created_at - RECONCILE_WINDOW).timestamp())
    charges = client.v1.charges.list(
        params={"customer": customer.stripe_id, "created": {"gt": since}, "limit": 100}
    )
    for made in (c.to_dict() for c in charges.data):
        if made.get("status") != "succeeded" or not made.get("payment_intent"):
            continue
        intent = client.v1.payment_intents.retrieve(made["payment_intent"])
        if (intent.to_dict().get("metadata") or {}).get("charge_id") == str(charge.pk):
            return intent
    return None


def charge_intent_params(*, charge: Charge, customer: Customer) -> dict:
    """The PaymentIntent for ``charge``: off-session on the card on file, confirmed at once,
    its metadata naming the row so a lost answer can be found again."""
    return {
        "amount": charge.amount_cents,
        "currency": "usd",
        "customer": customer.stripe_id,
        "payment_method": customer.payment_method_id,
        "confirm": True,
        "off_session": True,
        "metadata": {
            "charge_id": str(charge.pk),
            "booking_id": str(charge.booking_id),
            "period": charge.period_start.isoformat(),
        },
    }


def charge_record_paid(charge: Charge, *, intent_id: str, now: datetime.datetime) -> None:
    charge.status = Charge.Status.PAID
    charge.payment_intent_id = intent_id
    charge.paid_at = now
    charge.next_attempt_at = None
    charge.last_error = ""
    charge.save()
    payment_emails_enqueue([PaymentEmail(kind="receipt", charge_id=charge.pk)])


def stripe_time(refund: dict) -> datetime.datetime:
    """When Stripe made ``refund`` (its ``created``), or now when it does not say."""
    created = refund.get("created")
    return datetime.datetime.fromtimestamp(created, tz=datetime.UTC) if created else timezone.now()


def charge_refund_record(
    *, charge: Charge, stripe_id: str, amount_cents: int, refunded_at: datetime.datetime
) -> bool:
    """Record one Stripe refund of ``charge``: its ``ChargeRefund`` row (Stripe's id is unique:
    a replay writes nothing; a row recorded with another amount takes Stripe's), then the
    charge's refund fields (``charge_refund_totals``). Returns whether anything was written.
    Caller holds the charge's row lock and a transaction (lock order: the charge, then its
    rows); sends no email. Raises ``ValidationError`` for a charge never collected or a row
    that does not validate."""
    if not charge.is_collected:
        raise ValidationError(REFUND_NOT_COLLECTED)
    row = ChargeRefund.objects.filter(charge=charge, stripe_id=stripe_id).first()
    if row is None:
        row = ChargeRefund(
            charge=charge, stripe_id=stripe_id, amount_cents=amount_cents, refunded_at=refunded_at
        )
        row.full_clean()
        row.save()
    elif row.amount_cents != amount_cents:
        # A row written before refunds had rows of their own held the charge's total under
        # its latest refund's id: Stripe's amount puts it right.
        row.amount_cents = amount_cents
        row.full_clean()
        row.save(update_fields=["amount_cents"])
    else:
        return False
    charge_refund_totals(charge)
    return True


# Metadata our own refunds carry (a cancellation's, an operator's end's, a deposit settlement's).
OUR_REFUND_KEYS = ("charge_id", "settlement_id")


def our_refund(refunds, **metadata):
    """Of a PaymentIntent's ``refunds`` (Stripe's objects), the one a call of ours made with
    exactly ``metadata``, or None: a retried job finds the refund it asked for before (an
    operator's part refund of a charge is not its cancellation refund)."""
    wanted = {key: str(value) for key, value in metadata.items()}
    return next((r for r in refunds if dict(r.to_dict().get("metadata") or {}) == wanted), None)


def refunds_outside(refunds: list[dict]) -> list[dict]:
    """Of a PaymentIntent's refunds (Stripe's objects), those made outside our flow (Stripe's
    dashboard: none of our metadata) that Stripe made or is making."""
    return [
        r
        for r in refunds
        if r.get("status") in ("succeeded", "pending")
        and not any(k in (r.get("metadata") or {}) for k in OUR_REFUND_KEYS)
    ]


def charge_refunds_outside_record(*, charge: Charge, refunds: list[dict]) -> bool:
    """Record the refunds of ``charge`` made outside our flow (``refunds_outside`` of
    Stripe's ``refunds``), each through ``charge_refund_record``, and when the charge's
    refunded total grows queue the guest's "refund" email in the caller's transaction, keyed
    by the newest refund recorded now (a replayed or late refund records nothing, so tells
    nothing). The webhook and an operator's end (which may see a dashboard refund before its
    event) both record them here. Returns whether anything was written. Caller holds the
    charge's row lock and a transaction; the charge is collected."""
    told = charge.refunded_cents
    recorded = []
    for refund in refunds_outside(refunds):
        if charge_refund_record(
            charge=charge,
            stripe_id=refund["id"],
            amount_cents=refund["amount"],
            refunded_at=stripe_time(refund),
        ):
            recorded.append(refund)
    if recorded and charge.refunded_cents > told:
        # Keyed by the refund, not the total: after a refund failed (0215) a new one may bring
        # the total back to a number already told.
        newest = max(recorded, key=stripe_time)
        payment_emails_enqueue(
            [PaymentEmail(kind="refund", charge_id=charge.pk, refund_id=newest["id"])]
        )
    return bool(recorded)


def charge_refund_failed_record(
    *, charge: Charge, stripe_id: str, reason: str, failed_at: datetime.datetime
) -> ChargeRefund | None:
    """Stripe could not make a refund it had accepted (status ``failed`` or ``canceled``: the
    card was closed): its row is kept, marked failed, and the charge's totals are written
    again without it (``charge_refund_totals``). Returns the row when marked now; None when
    there is no row for it or it was marked before (a replay writes nothing). Caller holds
    the charge's row lock and a transaction; sends no email."""
    row = (
        ChargeRefund.objects.select_for_update()
        .filter(charge=charge, stripe_id=stripe_id, failed_at__isnull=True)
        .first()
    )
    if row is None:
        return None
    row.failed_at = failed_at
    row.failure_reason = (reason or "unknown")[:100]
    row.full_clean()
    row.save(update_fields=["failed_at", "failure_reason"])
    charge_refund_totals(charge)
    return row


def charge_refund_totals(charge: Charge) -> None:
    """The charge's refund fields, the only place they are written: ``refunded_cents`` the
    sum of its rows that did not fail (at most the charge's amount) and ``refunded_at`` the
    latest such row's date, status refunded, or paid again when none is left (every refund
    failed); ``refund_id`` the latest row's id, a failed one too (a charge has refund lines
    if and only if it is set). Caller holds the charge's row lock."""
    rows = list(ChargeRefund.objects.filter(charge=charge).order_by("-refunded_at", "-pk"))
    made = [r for r in rows if not r.is_failed]
    charge.status = Charge.Status.REFUNDED if made else Charge.Status.PAID
    charge.refunded_cents = min(sum(r.amount_cents for r in made), charge.amount_cents)
    charge.refund_id = rows[0].stripe_id if rows else ""
    charge.refunded_at = made[0].refunded_at if made else None
    charge.full_clean(validate_unique=False, validate_constraints=False)
    charge.save()


def deposit_refund_failed_record(*, stripe_id: str) -> DepositSettlement | None:
    """A deposit settlement's refund that Stripe could not make after all: the settlement is
    ``failed`` ("Refund failed"), not pending (a pending one is sent again by the daily run,
    which would find the same failed refund by its metadata and call it refunded), so it
    waits for an operator; its refund id stays. Returns it when marked now; None when no
    settlement was refunded by that refund (or it was marked before). Caller holds a
    transaction; sends no email."""
    settlement = (
        DepositSettlement.objects.select_for_update()
        .filter(refund_id=stripe_id, status=DepositSettlement.Status.REFUNDED)
        .first()
    )
    if settlement is None:
        return None
    settlement.status = DepositSettlement.Status.FAILED
    settlement.full_clean()
    settlement.save(update_fields=["status"])
    return settlement


def charge_record_failure(charge: Charge, *, error: str, now: datetime.datetime) -> None:
    first = charge.first_failed_at is None
    charge.status = Charge.Status.DUE
    charge.first_failed_at = charge.first_failed_at or now
    charge.last_error = error[:500]
    retries_done = charge.attempts - 1  # the first attempt is not a retry
    if retries_done < len(RETRY_DAYS):
        charge.next_attempt_at = charge.first_failed_at + datetime.timedelta(
            days=RETRY_DAYS[retries_done]
        )
    else:
        charge.next_attempt_at = None  # no more automatic tries: a new card retries it
    charge.save()
    if first:
        payment_emails_enqueue(
            [
                PaymentEmail(kind="due_guest", charge_id=charge.pk),
                PaymentEmail(kind="due_host", charge_id=charge.pk),
            ]
        )


def charge_record_needs_authentication(
    charge: Charge, *, intent_id: str, now: datetime.datetime
) -> None:
    """The PaymentIntent waits for the guest's bank: the charge is due on that PaymentIntent
    (kept, never made again), no off-session retry is scheduled, and the guest is emailed
    the page where they complete it (once per charge)."""
    first = charge.first_failed_at is None
    charge.status = Charge.Status.DUE
    charge.payment_intent_id = intent_id
    charge.first_failed_at = charge.first_failed_at or now
    charge.next_attempt_at = None
    charge.last_error = NEEDS_AUTHENTICATION
    charge.save()
    emails = [PaymentEmail(kind="action_guest", charge_id=charge.pk)]
    if first:
        emails.append(PaymentEmail(kind="due_host", charge_id=charge.pk))
    payment_emails_enqueue(emails)


def charge_intent_check(
    charge: Charge, *, client: stripe.StripeClient, now: datetime.datetime
) -> None:
    """A charge waiting for the guest's bank: ask Stripe how its PaymentIntent stands and
    record a success (the webhook may have been lost). Caller holds the row lock and gives
    the client (a web request's or a job's, ``payments.stripe_api``). Raises
    ``stripe.StripeError`` when Stripe cannot be read."""
    intent = client.v1.payment_intents.retrieve(charge.payment_intent_id)
    metadata = intent.to_dict().get("metadata") or {}
    if (
        intent.status == "succeeded"
        and metadata.get("charge_id") == str(charge.pk)
        and intent.amount == charge.amount_cents
    ):
        charge_record_paid(charge, intent_id=intent.id, now=now)


def authentication_intent_id(exc: stripe.CardError) -> str:
    """The PaymentIntent of an off-session decline that asks for the guest's bank
    (Stripe's ``authentication_required``), or ""."""
    if exc.code != "authentication_required" or exc.error is None:
        return ""
    intent = exc.error.to_dict().get("payment_intent") or {}
    intent_id = intent.get("id") if isinstance(intent, dict) else None
    return intent_id if isinstance(intent_id, str) and intent_id.startswith("pi_") else ""


def charge_attempt(*, charge_id: int, now: datetime.datetime | None = None) -> Charge | None:
    """Try to collect one pending or due charge; return it, or None when another run holds
    it (or it is settled). Never raises for a decline or an unreachable Stripe: the charge
    is left due with its next try scheduled (days 1, 3 and 5 after the first failure). A
    charge waiting for the guest's bank is only checked, never charged again."""
    now = now or timezone.now()
    with transaction.atomic():
        charge = (
            Charge.objects.select_for_update(skip_locked=True)
            .filter(pk=charge_id, status__in=[Charge.Status.PENDING, Charge.Status.DUE])
            .first()
        )
        if charge is None:
            return None
        if charge.needs_authentication:
            try:
                charge_intent_check(charge, client=stripe_client(), now=now)
            except stripe.StripeError as exc:
                logger.warning("Charge %s: Stripe did not answer: %s", charge.pk, exc)
            return charge
        customer = Customer.objects.filter(user_id=charge.booking.guest_id).first()
        charge.attempts += 1
        if customer is None or not customer.has_card:
            charge_record_failure(charge, error=NO_CARD, now=now)
            return charge
        client = stripe_client()
        try:
            intent = paid_intent_find(client, charge=charge, customer=customer)
            if intent is None:
                intent = client.v1.payment_intents.create(
                    params=charge_intent_params(charge=charge, customer=customer),
                    options={"idempotency_key": charge.idempotency_key},
                )
        except stripe.CardError as exc:
            if intent_id := authentication_intent_id(exc):
                charge_record_needs_authentication(charge, intent_id=intent_id, now=now)
            else:
                charge_record_failure(charge, error=exc.user_message or str(exc), now=now)
            return charge
        except stripe.StripeError as exc:
            logger.warning("Charge %s: Stripe did not answer: %s", charge.pk, exc)
            charge_record_failure(charge, error=f"Payment service unavailable: {exc}", now=now)
            return charge
        if intent.status == "succeeded":
            charge_record_paid(charge, intent_id=intent.id, now=now)
        elif intent.status == "requires_action":
            charge_record_needs_authentication(charge, intent_id=intent.id, now=now)
        else:
            charge_record_failure(charge, error=f"Payment {intent.status}", now=now)
        return charge


def charges_collect(*, booking_id: int | None = None) -> list[Charge]:
    """Try every charge that is owed now (new, or due with its retry day come), of one
    booking or of all approved ones; return those attempted."""
    now = timezone.now()
    owed = Charge.objects.filter(booking__status=Booking.Status.APPROVED).filter(
        Q(status=Charge.Status.PENDING) | Q(status=Charge.Status.DUE, next_attempt_at__lte=now)
    )
    if booking_id is not None:
        owed = owed.filter(booking_id=booking_id)
    attempted = []
    for pk in owed.order_by("pk").values_list("pk", flat=True):
        charge = charge_attempt(charge_id=pk, now=now)
        if charge is not None:
            attempted.append(charge)
    return attempted


def booking_collect(*, booking_id: int, today: datetime.date | None = None) -> list[Charge]:
    """Write what one booking owes up to ``today`` and try to collect it (the job enqueued
    at approval)."""
    booking = Booking.objects.select_related("listing").filter(pk=booking_id).first()
    if booking is None:
        return []
    charges_schedule(booking=booking, today=today or timezone.localdate())
    return charges_collect(booking_id=booking_id)


def charge_rent(*, today: datetime.date | None = None) -> int:
    """The daily run: every approved booking's months owed by ``today`` are written and
    charged, due charges retried on their day, ended bookings' deposits refunded. Returns
    how many charges were attempted. Idempotent and safe to run concurrently."""
    if not configured():
        return 0
    today = today or timezone.localdate()
    # A booking that ended more than a month ago has had every row written already.
    recent = (
        Booking.objects.approved()
        .select_related("listing")
        .filter(end__gt=today - datetime.timedelta(days=31))
        .order_by("pk")
    )
    for booking in recent:
        charges_schedule(booking=booking, today=today)
    attempted = len(charges_collect())
    deposits_refund_due(today=today)
    return attempted


# PaymentIntents Stripe still lets someone complete: a void charge's is cancelled.
CANCELLABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def charge_intent_cancel(*, charge_id: int) -> bool:
    """A void charge's PaymentIntent that waited for the guest's bank: cancelled at Stripe so
    the emailed link can no longer take money for a released or cancelled booking. True when
    cancelled now or before; one the guest completed first is left to the webhook, which
    flags it for a refund by hand. Raises on a Stripe error (the job is retried)."""
    charge = Charge.objects.filter(pk=charge_id, status=Charge.Status.VOID).first()
    if charge is None or not charge.payment_intent_id:
        return False
    client = stripe_client()
    intent = client.v1.payment_intents.retrieve(charge.payment_intent_id)
    if intent.status == "canceled":
        return True
    if intent.status not in CANCELLABLE:
        logger.warning("Charge %s void, its PaymentIntent %s", charge.pk, intent.status)
        return False
    client.v1.payment_intents.cancel(charge.payment_intent_id)
    return True


def customer_stripe_delete(*, customer_id: int, payment_method_id: str = "") -> bool:
    """A closed member's Stripe customer (``Customer.closed_at`` set by the close): the card
    that was on file (``payment_method_id``, forgotten on the row by the close) and every
    other card Stripe holds for the customer are detached, then the customer is deleted at
    Stripe, with the email and metadata it carries. True when gone now or before (a rerun
    after an attempt that got that far finds it gone: Stripe answers 404); False for a
    customer that is not closed. Raises on any other Stripe error (the job is retried)."""
    customer = Customer.objects.filter(pk=customer_id, closed_at__isnull=False).first()
    if customer is None:
        return False
    client = stripe_client()
    try:
        # Listed whole before any is detached (a detached card leaves the list being paged
        # through); a card saved at Stripe whose page never came back to us is there too.
        listed = client.v1.payment_methods.list(
            params={"customer": customer.stripe_id, "type": "card", "limit": 100}
        )
        cards = [card.id for card in listed.auto_paging_iter()]
        if payment_method_id and payment_method_id not in cards:
            cards.append(payment_method_id)
        for card_id in cards:
            try:
                client.v1.payment_methods.detach(card_id)
            except stripe.InvalidRequestError as exc:
                # Detached already, or gone: Stripe refuses to detach a card that is not
                # attached. A network error or a 5xx is not this, and the job is retried.
                logger.info("Card %s of customer %s not detached: %s", card_id, customer.pk, exc)
        client.v1.customers.delete(customer.stripe_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
        logger.info(
            "Stripe customer %s of customer %s already gone", customer.stripe_id, customer.pk
        )
    return True


def booking_refund(*, booking_id: int) -> list[Charge]:
    """Refund in full each collected charge of a booking cancelled before its start (all
    of it, or what a refund made in Stripe's dashboard left: ``refundable``), once: the
    row is locked for the call, a refund already made for it (metadata) is found before a
    new one is asked for; the guest's refund email is queued with the record. Raises on a
    Stripe error (the job is retried)."""
    refunded = []
    paid = Charge.objects.refundable().filter(
        booking_id=booking_id, booking__status=Booking.Status.CANCELLED
    )
    for pk in paid.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            charge = (
                Charge.objects.select_for_update(skip_locked=True)
                .refundable()
                .filter(pk=pk)
                .first()
            )
            if charge is None:
                continue
            client = stripe_client()
            existing = client.v1.refunds.list(
                params={"payment_intent": charge.payment_intent_id, "limit": 100}
            )
            refund = our_refund(existing.data, charge_id=charge.pk) or client.v1.refunds.create(
                params={
                    "payment_intent": charge.payment_intent_id,
                    # What is left: a refund made in the dashboard stays made.
                    "amount": charge.net_cents,
                    "metadata": {"charge_id": str(charge.pk)},
                },
                options={"idempotency_key": f"charge-refund-{charge.pk}"},
            )
            # The invoice's line for it, dated by Stripe, as a dashboard refund's is; the
            # guest is told once (the email's key holds the refund's id).
            if charge_refund_record(
                charge=charge,
                stripe_id=refund.id,
                amount_cents=refund.amount,
                refunded_at=stripe_time(refund.to_dict()),
            ):
                payment_emails_enqueue(
                    [PaymentEmail(kind="refund", charge_id=charge.pk, refund_id=refund.id)]
                )
            refunded.append(charge)
    return refunded


def booking_refund_part(*, booking_id: int, event_id: int, amount_cents: int) -> int:
    """Give back ``amount_cents`` of a booking's rent, as the operator who ended it asked
    (the BookingEvent ``event_id``): from the newest collected charge back, each giving at
    most the rent it still holds (``Charge.rent_refundable_cents``) and at most what Stripe
    has left of the payment (a refund made in Stripe's dashboard whose event has not come
    yet is recorded first, as the webhook would, ``charge_refunds_outside_record``). Once:
    per charge, a refund already made for this event (our metadata, which also tells the
    webhook it is ours) is counted before a new one is asked for, under the charge's row
    lock, and Stripe's idempotency key is per event and charge. Each refund is recorded
    through ``charge_refund_record``. Returns the cents given back. Raises on a Stripe error
    (the job is retried)."""
    given = 0
    collected = Charge.objects.collected().filter(booking_id=booking_id)
    collected = collected.order_by("-period_start", "-pk")
    for pk in collected.values_list("pk", flat=True):
        if given >= amount_cents:
            break
        with transaction.atomic():
            charge = Charge.objects.select_for_update().get(pk=pk)
            client = stripe_client()
            made = client.v1.refunds.list(
                params={"payment_intent": charge.payment_intent_id, "limit": 100}
            )
            refund = our_refund(made.data, charge_id=charge.pk, booking_end=event_id)
            if refund is None:
                listed = [r.to_dict() for r in made.data]
                charge_refunds_outside_record(charge=charge, refunds=listed)
                # Stripe refuses more than it has left: what its refunds made or being made
                # took off, ours or not, whatever our record says.
                left = charge.amount_cents - sum(
                    r["amount"] for r in listed if r.get("status") in ("succeeded", "pending")
                )
                part = min(amount_cents - given, charge.rent_refundable_cents, left)
                if part <= 0:
                    continue
                refund = client.v1.refunds.create(
                    params={
                        "payment_intent": charge.payment_intent_id,
                        "amount": part,
                        "metadata": {"charge_id": str(charge.pk), "booking_end": str(event_id)},
                    },
                    options={"idempotency_key": f"booking-end-{event_id}-{charge.pk}"},
                )
            charge_refund_record(
                charge=charge,
                stripe_id=refund.id,
                amount_cents=refund.amount,
                refunded_at=stripe_time(refund.to_dict()),
            )
            given += refund.amount
    if given < amount_cents:
        logger.warning(
            "Booking %s: %s of %s cents given back (less rent left)",
            booking_id,
            given,
            amount_cents,
        )
    return given


def deposit_refund(*, settlement_id: int) -> DepositSettlement | None:
    """Send a settlement's refund to Stripe once: the row is locked for the call, a refund
    already made for it (metadata) is found before a new one is asked for, and Stripe's
    idempotency key is per settlement. Raises on a Stripe error (the job is retried)."""
    with transaction.atomic():
        settlement = (
            DepositSettlement.objects.select_for_update(skip_locked=True)
            .filter(pk=settlement_id, status=DepositSettlement.Status.PENDING)
            .first()
        )
        if settlement is None:
            return None
        now = timezone.now()
        if settlement.refund_cents == 0:
            settlement.status = DepositSettlement.Status.REFUNDED
            settlement.refunded_at = now
            settlement.save()
            return settlement
        paid = deposit_paid_charge_for(booking=settlement.booking)
        client = stripe_client()
        existing = client.v1.refunds.list(
            params={"payment_intent": paid.payment_intent_id, "limit": 100}
        )
        refund = our_refund(existing.data, settlement_id=settlement.pk)
        if refund is None:
            refund = client.v1.refunds.create(
                params={
                    "payment_intent": paid.payment_intent_id,
                    "amount": settlement.refund_cents,
                    "metadata": {"settlement_id": str(settlement.pk)},
                },
                options={"idempotency_key": f"deposit-{settlement.pk}"},
            )
        settlement.status = DepositSettlement.Status.REFUNDED
        settlement.refund_id = refund.id
        settlement.refunded_at = now
        settlement.save()
        payment_emails_enqueue([PaymentEmail(kind="deposit", settlement_id=settlement.pk)])
        return settlement


def deposits_refund_due(*, today: datetime.date) -> int:
    """Deposits of bookings that ended (or were released) ``DEPOSIT_REFUND_AFTER_DAYS`` ago
    and that the host has not settled go back whole; returns how many were settled."""
    cutoff = today - datetime.timedelta(days=DEPOSIT_REFUND_AFTER_DAYS)
    released_by = datetime.datetime.combine(
        cutoff, datetime.time.max, tzinfo=timezone.get_current_timezone()
    )
    ended = (
        Booking.objects.filter(deposit_held_q("charges__"), deposit_settlement__isnull=True)
        .filter(
            Q(status=Booking.Status.APPROVED, end__lte=cutoff)
            | Q(
                status=Booking.Status.CANCELLED,
                events__to_status=Booking.Status.CANCELLED,
                events__at__lte=released_by,
            )
        )
        .distinct()
        .order_by("pk")
    )
    settled = 0
    for booking in ended:
        try:
            deposit_settlement_create(booking=booking, host=None, today=today)
        except ValidationError:
            continue  # settled by the host meanwhile
        settled += 1
    pending = DepositSettlement.objects.filter(status=DepositSettlement.Status.PENDING)
    for pk in pending.values_list("pk", flat=True):
        try:
            deposit_refund(settlement_id=pk)
        except stripe.StripeError as exc:
            logger.warning("Deposit refund %s failed, tried again tomorrow: %s", pk, exc)
    return settled


@transaction.atomic
def deposit_settlement_create(
    *,
    booking: Booking,
    host: User | None,
    keep_cents: int = 0,
    reason: str = "",
    today: datetime.date | None = None,
) -> DepositSettlement:
    """Decide the deposit after the end: the host keeps ``keep_cents`` (with a reason the
    guest sees) and the rest goes back; ``host`` None is the automatic full refund. The
    settlement row is written here; the refund is made by ``deposit_refund`` (a job, or the
    daily run)."""
    if host is not None and host.pk != booking.listing.host_id:
        raise ValidationError(DEPOSIT_NOT_HOST)
    # A released booking (cancelled after payments) is over too; a running one is not.
    if booking.status == Booking.Status.APPROVED and booking.end > (today or timezone.localdate()):
        raise ValidationError(DEPOSIT_NOT_ENDED)
    paid = deposit_paid_charge_for(booking=booking)
    if paid is None:
        raise ValidationError(DEPOSIT_NONE)
    if DepositSettlement.objects.filter(booking=booking).exists():
        raise ValidationError(DEPOSIT_ALREADY)
    if keep_cents < 0 or keep_cents > paid.deposit_cents:
        raise ValidationError(DEPOSIT_KEEP_TOO_MUCH.format(held=cents_to_text(paid.deposit_cents)))
    reason = reason.strip()
    if keep_cents and not reason:
        raise ValidationError(DEPOSIT_REASON_NEEDED)
    settlement = DepositSettlement(
        booking=booking, held_cents=paid.deposit_cents, kept_cents=keep_cents, reason=reason
    )
    settlement.full_clean()
    settlement.save()
    return settlement
