"""``{% booking_payments booking user %}``: a booking's money on its page (bookings'
templates load this tag, so bookings' code never imports payments)."""

from django import template
from django.utils import timezone

from payments.rules import cents_to_text, monthly_rent_cents
from payments.selectors import (
    booking_charges,
    booking_payment_state,
    card_on_file,
    deposit_paid_charge_for,
)
from payments.services import release_allowed
from payments.stripe_api import configured

register = template.Library()


@register.inclusion_tag("payments/includes/booking_payments.html")
def booking_payments(booking, user):
    if not configured():
        return {"off": True}
    is_host = user.pk == booking.listing.host_id
    charges = list(booking_charges(booking=booking))
    settlement = getattr(booking, "deposit_settlement", None) if charges else None
    deposit_charge = deposit_paid_charge_for(booking=booking) if charges else None
    monthly = monthly_rent_cents(booking=booking)
    return {
        "booking": booking,
        "is_host": is_host,
        "is_guest": user.pk == booking.guest_id,
        "card": card_on_file(user=booking.guest),
        "charges": [(c, cents_to_text(c.amount_cents)) for c in charges],
        "state": booking_payment_state(booking=booking),
        "monthly": cents_to_text(monthly),
        "deposit": cents_to_text(monthly * booking.listing.deposit_months),
        "settlement": settlement,
        "refund": cents_to_text(settlement.refund_cents) if settlement else "",
        "kept": cents_to_text(settlement.kept_cents) if settlement else "",
        "can_release": is_host and release_allowed(booking=booking),
        "can_settle": is_host
        and deposit_charge is not None
        and settlement is None
        and booking.end <= timezone.localdate(),
    }


@register.simple_tag
def paying_note(booking):
    """The "Paying" line of an approved booking's next steps (page and email): how PivotDesk
    charges it, or, while payments are off (no Stripe keys), that the host arranges it."""
    if not configured():
        return (
            "PivotDesk does not take payments yet. Your host arranges payment with you "
            "directly at the price of this booking; pay only after you have it in writing "
            "from them."
        )
    monthly = monthly_rent_cents(booking=booking)
    deposit = monthly * booking.listing.deposit_months
    first = "the first month" + (
        f" and a refundable {cents_to_text(deposit)} deposit" if deposit else ""
    )
    return (
        f"PivotDesk charges your card on file {cents_to_text(monthly)} a month: {first} now, "
        "then on each monthly anniversary of your move-in day. Receipts are on your "
        "booking's page."
    )


@register.inclusion_tag("payments/includes/card_note.html")
def card_note(user):
    """On the request form: the card rent will be charged to, or a link to add one."""
    if not configured():
        return {"off": True}
    return {"card": card_on_file(user=user)}
