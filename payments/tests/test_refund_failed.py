"""A refund Stripe accepted and could not make later (the card was closed): Stripe sets its
status to ``failed`` (or ``canceled``) and sends ``refund.failed`` / ``refund.updated``. The
webhook reads the refunds back and keeps the row as failed: the charge's totals leave it
out, the guest is told once, the invoice shows it failed, the statement leaves it out.

localstripe makes every refund ``succeeded`` and has no way to fail one; its generic update
(``POST /v1/refunds/<id>``) stores any field the object has, so ``fail_at_stripe`` sets the
status there, and the service reads it back as it would from Stripe."""

import json
import logging
import time

import pytest
import requests
from django.core import mail
from django.urls import reverse
from django.utils import dateformat, timezone

from bookings.services import booking_approve, booking_cancel
from bookings.tests.factories import BookingFactory
from listings.tests.factories import ListingFactory
from payments.collect import booking_collect, charge_rent
from payments.models import Charge, ChargeRefund, DepositSettlement
from teams.tests.factories import TeamFactory, add_member

from .helpers import running_booking, save_card
from .localstripe import SECRET_KEY
from .test_operator_end import operator
from .test_refund_webhook import dashboard_refund, refund_emails, refund_event
from .test_webhooks import post, sign

pytestmark = pytest.mark.django_db(transaction=True)


def fail_at_stripe(localstripe, refund_id: str, status: str = "failed") -> dict:
    """What Stripe does days after a refund to a closed card: the refund's status changes."""
    response = requests.post(
        f"{localstripe.base}/v1/refunds/{refund_id}",
        data={"status": status},
        auth=(SECRET_KEY, ""),
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


def failed_event(refund: dict, *, event_id: str, kind: str = "refund.failed") -> bytes:
    body = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": refund},
    }
    return json.dumps(body).encode()


def failed_emails():
    return [m for m in mail.outbox if "could not be made" in m.body]


@pytest.fixture
def paid(localstripe):
    """A booking that ended 10 days ago, its only month and the deposit paid: $1,400."""
    booking = running_booking(started_days_ago=40, months=1)
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=booking.start)
    return Charge.objects.get(booking=booking)


def test_a_failed_dashboard_refund_is_not_money_given_back(
    client, localstripe, paid, run_jobs, caplog
):
    run_jobs()  # the receipt
    refund = dashboard_refund(localstripe, paid.payment_intent_id, 70000)
    payload = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_f1")
    assert post(client, payload, sign(payload)).content == b"refunded outside"
    run_jobs()  # the refund email

    failed = fail_at_stripe(localstripe, refund["id"])
    payload = failed_event(failed, event_id="evt_f2")
    with caplog.at_level(logging.ERROR, logger="payments.services"):
        assert post(client, payload, sign(payload)).content == b"refund failed"
    (line,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert refund["id"] in line.getMessage() and f"charge {paid.pk} " in line.getMessage()
    # The row stays (history), failed; the charge is paid again, nothing refunded.
    row = ChargeRefund.objects.get(stripe_id=refund["id"])
    assert row.failed_at is not None and row.amount_cents == 70000
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_cents, paid.net_cents, paid.refunded_at) == (
        Charge.Status.PAID,
        0,
        140000,
        None,
    )

    # Replayed, and Stripe's other events about the same refund: nothing twice.
    assert post(client, payload, sign(payload)).content == b"already applied"
    for n, kind in enumerate(["refund.updated", "charge.refund.updated", "charge.refunded"]):
        again = failed_event(failed, event_id=f"evt_f3{n}", kind=kind)
        assert post(client, again, sign(again)).content == b"none outside"
    row.refresh_from_db()
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_cents) == (Charge.Status.PAID, 0)
    run_jobs()
    (email,) = failed_emails()
    assert email.to == [paid.booking.guest.email]
    assert email.subject.startswith(f"Refund not made on invoice {paid.number}")
    assert (
        f"Your refund of $700.00 on invoice {paid.number} could not be made to your card: "
        in email.body
    )
    assert "Net paid: $1,400.00" in email.body

    # The invoice shows the line as failed, not taken off.
    day = dateformat.format(timezone.localtime(row.refunded_at), "F j, Y")
    client.force_login(paid.booking.guest)
    page = client.get(paid.get_absolute_url()).content.decode()
    assert "<dt>Status</dt><dd>Paid</dd>" in page
    assert f"Refund failed, {day} (not made to the card)</th><td>$700.00 not refunded" in page
    assert "-$700.00" not in page and "Net paid</th><td>$1,400.00</td>" in page

    # The host's statement books no refund.
    client.force_login(paid.booking.listing.host)
    page = client.get(reverse("host:payments_charge_statement")).content.decode()
    assert "Rent refunded</th><td>$0.00" in page
    assert "Platform fee returned</th><td>$0.00" in page

    # Operators find it in the charge admin, the failed row on the charge's page.
    client.force_login(operator())
    listed = client.get("/admin/payments/charge/", {"refund_failed": "yes"}).content.decode()
    assert paid.number in listed
    page = client.get(f"/admin/payments/charge/{paid.pk}/change/").content.decode()
    assert refund["id"] in page and "failed" in page

    # The deposit is held again and goes back as usual.
    charge_rent()
    settlement = DepositSettlement.objects.get(booking=paid.booking)
    assert (settlement.status, settlement.refund_cents) == ("refunded", 70000)


def test_a_new_refund_after_one_failed_is_told_though_the_total_is_the_same(
    client, localstripe, paid, run_jobs
):
    run_jobs()  # the receipt
    first = dashboard_refund(localstripe, paid.payment_intent_id, 70000)
    payload = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_s1")
    assert post(client, payload, sign(payload)).content == b"refunded outside"
    run_jobs()
    assert len(refund_emails()) == 1
    failed = fail_at_stripe(localstripe, first["id"])
    payload = failed_event(failed, event_id="evt_s2")
    assert post(client, payload, sign(payload)).content == b"refund failed"
    run_jobs()

    # The money goes back again (a new card): $700 refunded, the same total as before.
    second = dashboard_refund(localstripe, paid.payment_intent_id, 70000)
    payload = refund_event(localstripe, paid, kind="refund.created", event_id="evt_s3")
    assert post(client, payload, sign(payload)).content == b"refunded outside"
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_cents, paid.refund_id) == ("refunded", 70000, second["id"])
    run_jobs()
    told, again = refund_emails()
    assert again.to == [paid.booking.guest.email]
    assert again.subject.startswith(f"Refund on invoice {paid.number}")
    assert "Refunded: $700.00" in again.body and "Net paid: $700.00" in again.body

    # Replayed or late events about either refund tell nothing more.
    assert post(client, payload, sign(payload)).content == b"already applied"
    for n, kind in enumerate(["refund.updated", "charge.refund.updated", "charge.refunded"]):
        late = refund_event(localstripe, paid, kind=kind, event_id=f"evt_s4{n}")
        assert post(client, late, sign(late)).content == b"already recorded"
    late = failed_event(failed, event_id="evt_s5", kind="refund.updated")
    assert post(client, late, sign(late)).content == b"already recorded"
    run_jobs()
    assert len(refund_emails()) == 2 and len(failed_emails()) == 1


def test_a_failed_cancellation_refund_leaves_what_else_was_refunded(client, localstripe, run_jobs):
    listing = ListingFactory(deposit_months=1)
    booking = BookingFactory(listing=listing, desks=1, months=2)
    booking.team = TeamFactory(name="Rocket Crew", billing_email="pay@rocket.test")
    booking.save(update_fields=["team"])
    add_member(booking.team, booking.guest)
    save_card(localstripe, booking.guest)
    booking_approve(booking=booking, host=listing.host)
    run_jobs()
    charge = Charge.objects.get(booking=booking)
    first = dashboard_refund(localstripe, charge.payment_intent_id, 20000)
    payload = refund_event(localstripe, charge, kind="charge.refunded", event_id="evt_c1")
    assert post(client, payload, sign(payload)).content == b"refunded outside"
    booking_cancel(booking=booking, by=booking.guest)
    run_jobs()  # the cancellation refunds the rest, $500 (ours: metadata)
    charge.refresh_from_db()
    assert (charge.status, charge.refunded_cents) == (Charge.Status.REFUNDED, 70000)
    ours = ChargeRefund.objects.exclude(stripe_id=first["id"]).get(charge=charge)
    assert ours.amount_cents == 50000

    failed = fail_at_stripe(localstripe, ours.stripe_id, status="canceled")
    payload = failed_event(failed, event_id="evt_c2", kind="refund.updated")
    assert post(client, payload, sign(payload)).content == b"refund failed"
    charge.refresh_from_db()
    first_row = ChargeRefund.objects.get(stripe_id=first["id"])
    assert (charge.status, charge.refunded_cents, charge.refunded_at) == (
        Charge.Status.REFUNDED,
        20000,
        first_row.refunded_at,
    )
    assert charge.net_cents == 50000
    run_jobs()
    (email,) = failed_emails()
    assert email.to == [booking.guest.email] and email.cc == ["pay@rocket.test"]
    assert f"Your refund of $500.00 on invoice {charge.number} could not be made" in email.body
    again = failed_event(failed, event_id="evt_c3", kind="charge.refund.updated")
    assert post(client, again, sign(again)).content == b"already recorded"
    run_jobs()
    assert len(failed_emails()) == 1

    # The invoice: the dashboard refund taken off, the failed one shown as failed.
    client.force_login(booking.guest)
    page = client.get(charge.get_absolute_url()).content.decode()
    assert "<dt>Status</dt><dd>Partly refunded</dd>" in page
    assert "</th><td>-$200.00</td>" in page and "$500.00 not refunded" in page
    assert "Net paid</th><td>$500.00</td>" in page


def test_a_failed_deposit_refund_waits_for_an_operator(client, localstripe, paid, run_jobs):
    charge_rent()  # the deposit goes back whole
    settlement = DepositSettlement.objects.get(booking=paid.booking)
    assert settlement.status == DepositSettlement.Status.REFUNDED
    run_jobs()
    failed = fail_at_stripe(localstripe, settlement.refund_id)
    payload = failed_event(failed, event_id="evt_d1")
    assert post(client, payload, sign(payload)).content == b"refund failed"
    settlement.refresh_from_db()
    assert settlement.get_status_display() == "Refund failed"
    # Nothing sends it again to the closed card, and the charge was never refunded.
    charge_rent()
    settlement.refresh_from_db()
    assert settlement.status == DepositSettlement.Status.FAILED
    assert len(localstripe.get("/v1/refunds", payment_intent=paid.payment_intent_id)["data"]) == 1
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_cents) == (Charge.Status.PAID, 0)
    again = failed_event(failed, event_id="evt_d2", kind="refund.updated")
    assert post(client, again, sign(again)).content == b"none outside"
    run_jobs()
    (email,) = failed_emails()
    assert email.to == [paid.booking.guest.email]
    assert email.subject == f"Your deposit refund for booking #{paid.booking_id} could not be made"
    assert "Your deposit refund of $700.00" in email.body
    # The host's statement no longer books the deposit as refunded.
    client.force_login(paid.booking.listing.host)
    page = client.get(reverse("host:payments_charge_statement")).content.decode()
    assert "Deposits refunded</th><td>$0.00" in page
