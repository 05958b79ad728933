"""Payment emails, sent by the worker once each: a receipt per paid charge, "payment due"
to the guest (with the link to update the card, or to confirm the payment with their bank)
and to the host, a refund made from Stripe's dashboard, a deposit statement (the deposit
refunded), a refund (of a charge, or of a deposit) Stripe could not make after all. A team
booking's receipt, refunds, failed refunds and deposit statement carry the team's billing
email on copy; "payment due" goes to the card holder alone, who alone can act on it."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from bookings.models import Booking
from jobs.services import email_send_once
from pivotdesk.emails import header_text

from .models import Charge, DepositSettlement
from .rules import cents_to_text

KINDS = (
    "receipt",
    "due_guest",
    "action_guest",
    "due_host",
    "refund",
    "refund_failed",
    "deposit",
    "deposit_failed",
)
# What a team's billing email gets a copy of ("payment due" asks the card holder to act).
BILLING_COPIED = {"receipt", "refund", "refund_failed", "deposit", "deposit_failed"}
# Stripe's ``failure_reason`` of a refund, as the guest reads it.
REFUND_FAILURE_TEXT = {
    "expired_or_canceled_card": "the card has expired or was closed",
    "lost_or_stolen_card": "the card was reported lost or stolen",
    "declined": "your bank declined it",
}
REFUND_FAILURE_OTHER = "your bank did not accept it"


@dataclass(frozen=True)
class PaymentEmail:
    kind: str
    charge_id: int | None = None
    settlement_id: int | None = None
    # Only in "refund" jobs queued when that email was keyed by the refunded total.
    refunded_cents: int = 0
    refund_id: str = ""

    @property
    def key(self) -> str:
        """Once per cause: a charge's receipt, its first failure, its need of the guest's
        bank, each refund recorded on it and each refund that failed (by Stripe's refund
        id), a deposit's settlement."""
        cause = f"charge:{self.charge_id}" if self.charge_id else f"deposit:{self.settlement_id}"
        kind = self.kind
        if self.refunded_cents:
            kind = f"{kind}:{self.refunded_cents}"
        if self.refund_id:
            kind = f"{kind}:{self.refund_id}"
        return f"payments:{cause}:{kind}"


def billing_copy_to(*, booking: Booking) -> list[str]:
    """Who gets a copy of a receipt, refund or deposit statement besides the guest: a team
    booking's billing email (one message, its address on copy: sent once, under the email's
    own key), unless it is the guest's own address."""
    team = booking.team
    if team is None or not team.billing_email:
        return []
    if team.billing_email.lower() == booking.guest.email.lower():
        return []
    return [team.billing_email]


def payment_email_render(email: PaymentEmail) -> EmailMessage | None:
    if email.kind in ("deposit", "deposit_failed"):
        settlement = (
            DepositSettlement.objects.select_related(
                "booking__guest", "booking__listing", "booking__team"
            )
            .filter(pk=email.settlement_id)
            .first()
        )
        if settlement is None:
            return None
        booking = settlement.booking
        context = {"settlement": settlement, "booking": booking}
        to, subject = booking.guest, f"Your deposit for booking #{booking.pk}"
        if email.kind == "deposit_failed":
            subject = f"Your deposit refund for booking #{booking.pk} could not be made"
        context["refund"] = cents_to_text(settlement.refund_cents)
        context["kept"] = cents_to_text(settlement.kept_cents)
    else:
        charge = (
            Charge.objects.select_related(
                "booking__guest",
                "booking__listing__host",
                "booking__listing__city",
                "booking__team",
            )
            .filter(pk=email.charge_id)
            .first()
        )
        if charge is None:
            return None
        booking = charge.booking
        context = {
            "charge": charge,
            "booking": booking,
            "amount": cents_to_text(charge.amount_cents),
            "rent": cents_to_text(charge.rent_cents),
            "deposit": cents_to_text(charge.deposit_cents),
            "invoice_url": settings.SITE_URL + charge.get_absolute_url(),
            "card_url": settings.SITE_URL + reverse("payments:card") + f"?booking={booking.pk}",
            "pay_url": settings.SITE_URL + reverse("payments:pay", kwargs={"pk": charge.pk}),
            "refunded": cents_to_text(charge.refunded_cents),
            "net": cents_to_text(charge.amount_cents - charge.refunded_cents),
        }
        title = header_text(booking.listing.title)
        if email.kind == "receipt":
            to, subject = booking.guest, f"Receipt {charge.number}: {title}"
        elif email.kind == "due_guest":
            to, subject = booking.guest, f"Payment due: update your card for {title}"
        elif email.kind == "action_guest":
            to, subject = booking.guest, f"Payment due: confirm it with your bank for {title}"
        elif email.kind == "refund":
            to, subject = booking.guest, f"Refund on invoice {charge.number}: {title}"
        elif email.kind == "refund_failed":
            row = charge.refunds.filter(stripe_id=email.refund_id, failed_at__isnull=False).first()
            if row is None:
                return None
            to, subject = booking.guest, f"Refund not made on invoice {charge.number}: {title}"
            context["failed"] = cents_to_text(row.amount_cents)
            context["refund"] = row
            context["reason"] = REFUND_FAILURE_TEXT.get(row.failure_reason, REFUND_FAILURE_OTHER)
        else:
            to = booking.listing.host
            subject = f"Payment due on booking #{booking.pk} at {title}"
    context["url"] = settings.SITE_URL + booking.get_absolute_url()
    cc = context["copy_to"] = (
        billing_copy_to(booking=booking) if email.kind in BILLING_COPIED else []
    )
    body = render_to_string(f"payments/email/{email.kind}.txt", context)
    return EmailMessage(subject=header_text(subject), body=body, to=[to.email], cc=cc)


@task
def payment_email_send(
    *,
    kind: str,
    charge_id: int | None = None,
    settlement_id=None,
    refunded_cents: int = 0,
    refund_id: str = "",
) -> bool:
    """The job: send one payment email unless it went already."""
    email = PaymentEmail(
        kind=kind,
        charge_id=charge_id,
        settlement_id=settlement_id,
        refunded_cents=refunded_cents,
        refund_id=refund_id,
    )
    message = payment_email_render(email)
    if message is None:
        return False
    return email_send_once(key=email.key, message=message)


def payment_emails_enqueue(emails: Sequence[PaymentEmail]) -> None:
    """Queue one job per email inside the caller's transaction."""
    for email in emails:
        payment_email_send.enqueue(
            kind=email.kind,
            charge_id=email.charge_id,
            settlement_id=email.settlement_id,
            refunded_cents=email.refunded_cents,
            refund_id=email.refund_id,
        )
