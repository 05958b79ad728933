"""Money owed and paid for bookings: integer cents (USD) everywhere, never floats."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from bookings.models import Booking

# Failed charges are tried again this many days after the first failure, then left due.
RETRY_DAYS = (1, 3, 5)
# A host may release a booking whose rent has been due this long.
RELEASE_AFTER = datetime.timedelta(days=7)
# The deposit goes back this many days after the end unless the host settled it sooner;
# always inside the 7 days guests are promised.
DEPOSIT_REFUND_AFTER_DAYS = 5


class Customer(models.Model):
    """A guest's Stripe customer and the card on file (what the guest may see of it).

    When the member closes their account the card on file is forgotten here and
    ``closed_at`` set, in the close's transaction; a job then detaches the card and deletes
    the customer at Stripe (``payments.collect.customer_stripe_delete``). The row stays,
    with the id of the deleted customer, for the books."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stripe_customer"
    )
    stripe_id = models.CharField(max_length=255, unique=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=32, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp = models.CharField(max_length=7, blank=True, help_text="MM/YYYY")
    card_saved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The member closed their account: card forgotten, customer deleted at Stripe.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.stripe_id} ({self.user})"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def has_card(self) -> bool:
        return bool(self.payment_method_id)

    @property
    def card_label(self) -> str:
        if not self.has_card:
            return ""
        return f"{self.card_brand.title() or 'Card'} ending {self.card_last4}"


class ChargeQuerySet(models.QuerySet):
    def paid(self):
        return self.filter(status=Charge.Status.PAID)

    def unpaid(self):
        return self.filter(status__in=[Charge.Status.PENDING, Charge.Status.DUE])

    def collected(self):
        """Paid, whatever was refunded of it since (``Charge.is_collected``)."""
        return self.filter(status__in=Charge.COLLECTED)

    def refundable(self):
        """Collected and not refunded in full: what a cancellation before the start gives
        back (all of it, or the rest after a refund made in Stripe's dashboard)."""
        return self.collected().filter(refunded_cents__lt=F("rent_cents") + F("deposit_cents"))

    def for_host(self, host):
        return self.filter(booking__listing__host=host)


class Charge(models.Model):
    """One booking-month's rent (the first also carries the deposit): at most one row per
    (booking, period), written before Stripe is called, so a charge is never made twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # written, Stripe not yet answered yes or no
        PAID = "paid", "Paid"
        # Declined or Stripe unreachable (retried), or waiting for the guest's bank
        # (payment_intent_id set: the guest confirms that PaymentIntent, nothing retries).
        DUE = "due", "Payment due"
        VOID = "void", "Void"  # the booking was released before it was paid
        # Paid back: all of it (cancelled before the start), or what was refunded outside
        # our flow (Stripe's dashboard), in refunded_cents.
        REFUNDED = "refunded", "Refunded"

    # Money taken: paid, whatever was refunded of it since. Only such a charge has refunds.
    COLLECTED = (Status.PAID, Status.REFUNDED)

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="charges")
    period_start = models.DateField()
    period_end = models.DateField(help_text="First day after the period.")
    desks = models.PositiveIntegerField()
    rent_cents = models.PositiveIntegerField()
    deposit_cents = models.PositiveIntegerField(default=0)
    fee_cents = models.PositiveIntegerField(help_text="The platform's fee on the rent.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    first_failed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # The latest ChargeRefund's Stripe id (a failed one too), and the date of the latest
    # refund that was made (``collect.charge_refund_totals``).
    refund_id = models.CharField(max_length=255, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refunded_cents = models.PositiveIntegerField(
        default=0, help_text="Paid back to the guest (a deposit settlement not included)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChargeQuerySet.as_manager()

    class Meta:
        ordering = ["booking_id", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "period_start"], name="charge_once"),
            models.CheckConstraint(
                condition=Q(period_start__lt=F("period_end")), name="charge_period_forward"
            ),
            models.CheckConstraint(
                condition=Q(rent_cents__gt=0) | Q(deposit_cents__gt=0),
                name="charge_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(fee_cents__lte=F("rent_cents")), name="charge_fee_within_rent"
            ),
            models.UniqueConstraint(
                fields=["payment_intent_id"],
                condition=~Q(payment_intent_id=""),
                name="charge_payment_intent_once",
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=F("rent_cents") + F("deposit_cents")),
                name="charge_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="charge_due")]

    def __str__(self):
        return f"{self.number}: booking #{self.booking_id}, {self.period_start}"

    def get_absolute_url(self):
        return reverse("payments:invoice", kwargs={"pk": self.pk})

    @property
    def number(self) -> str:
        """The invoice number the guest and host read: stable, one per charge."""
        return f"PD-{self.pk:06d}"

    @property
    def amount_cents(self) -> int:
        return self.rent_cents + self.deposit_cents

    @property
    def net_cents(self) -> int:
        """What the guest paid and kept paid: the amount less refunds."""
        return self.amount_cents - self.refunded_cents

    @property
    def is_collected(self) -> bool:
        """Paid, whatever was refunded of it since: only such a charge has refunds."""
        return self.status in self.COLLECTED

    @property
    def rent_refundable_cents(self) -> int:
        """The rent of a collected charge not refunded yet: a refund comes out of the rent
        first (``rules.refund_split``), so its deposit stays whole for the settlement."""
        if not self.is_collected:
            return 0
        return self.rent_cents - min(self.refunded_cents, self.rent_cents)

    @property
    def refunded_in_part(self) -> bool:
        return 0 < self.refunded_cents < self.amount_cents

    @property
    def needs_authentication(self) -> bool:
        """Due on a PaymentIntent that waits for the guest's bank (3-D Secure): the guest
        completes that same PaymentIntent on its page; no new one is made for the month."""
        return self.status == self.Status.DUE and bool(self.payment_intent_id)

    @property
    def idempotency_key(self) -> str:
        """Stripe's idempotency key: per (booking, period) and per attempt, so a rerun of
        an attempt that may have reached Stripe gets Stripe's first answer back, and a
        retry after a decline is a new attempt."""
        return f"rent-{self.booking_id}-{self.period_start:%Y-%m-%d}-{self.attempts + 1}"


class ChargeRefundQuerySet(models.QuerySet):
    def made(self):
        """Refunds that reached the guest (or are on their way): not failed."""
        return self.filter(failed_at__isnull=True)


class ChargeRefund(models.Model):
    """One Stripe refund of a charge: a line of its invoice (date, amount). Made outside our
    flow (Stripe's dashboard: recorded from the webhook, one row per Stripe refund id) or ours
    when a booking is cancelled before its start; the host's statement books each row in its
    own month. A charge's ``refunded_cents`` is the sum of its rows that did not fail, written
    only with them (``payments.collect.charge_refund_record``, ``charge_refund_failed_record``).
    A refund Stripe reports failed or canceled later (the card was closed) keeps its row, with
    ``failed_at``: the history stays, the money is not counted as given back. A deposit
    settlement's refund is not one: it has its own row and email."""

    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="refunds")
    stripe_id = models.CharField(max_length=255, unique=True)
    amount_cents = models.PositiveIntegerField()
    refunded_at = models.DateTimeField(help_text="When Stripe made the refund.")
    recorded_at = models.DateTimeField(auto_now_add=True)
    failed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When we learnt Stripe could not make the refund (failed or canceled).",
    )
    failure_reason = models.CharField(
        max_length=100, blank=True, help_text="Stripe's reason (e.g. expired_or_canceled_card)."
    )

    objects = ChargeRefundQuerySet.as_manager()

    class Meta:
        ordering = ["charge_id", "refunded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="charge_refund_not_empty"),
        ]

    def __str__(self):
        return f"Refund {self.stripe_id} of charge #{self.charge_id}"

    @property
    def is_failed(self) -> bool:
        return self.failed_at is not None


class DepositSettlement(models.Model):
    """What happened to a booking's deposit after the end: refunded, or part kept by the
    host with a reason the guest sees."""

    class Status(models.TextChoices):
        PENDING = "pending", "Refund pending"
        REFUNDED = "refunded", "Refunded"
        # Stripe could not make the refund after all (the card was closed): nothing retries
        # it; an operator gives the money back another way (docs/OPERATIONS.md).
        FAILED = "failed", "Refund failed"

    booking = models.OneToOneField(
        Booking, on_delete=models.PROTECT, related_name="deposit_settlement"
    )
    held_cents = models.PositiveIntegerField()
    kept_cents = models.PositiveIntegerField(default=0)
    reason = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    refund_id = models.CharField(max_length=255, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kept_cents__lte=F("held_cents")), name="deposit_kept_within_held"
            ),
            models.CheckConstraint(
                condition=Q(kept_cents=0) | ~Q(reason=""), name="deposit_kept_has_reason"
            ),
        ]

    def __str__(self):
        return f"Deposit of booking #{self.booking_id}: {self.get_status_display()}"

    @property
    def refund_cents(self) -> int:
        return self.held_cents - self.kept_cents


class WebhookEvent(models.Model):
    """A Stripe event applied once: its id is stored with the outcome."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField(help_text="When Stripe made the event.")
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.type} {self.stripe_id}"
