"""A refund made outside our flow (Stripe's dashboard) reaches us as a signed
``charge.refunded`` or ``refund.*`` event at /payments/stripe/webhook/: applied once, the
charge marked refunded with the amount, our own refunds never counted as outside ones."""

import json
import re
import time

import pytest
import requests
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone

from payments.collect import booking_collect, charge_rent
from payments.emails import payment_email_send
from payments.models import Charge, ChargeRefund, DepositSettlement, WebhookEvent
from teams.tests.factories import TeamFactory, add_member

from .helpers import running_booking, save_card
from .localstripe import SECRET_KEY, free_port
from .test_webhooks import URL, post, sign

pytestmark = pytest.mark.django_db(transaction=True)


def dashboard_refund(localstripe, payment_intent: str, amount: int) -> dict:
    """What an operator does in Stripe's dashboard: a refund with none of our metadata."""
    response = requests.post(
        f"{localstripe.base}/v1/refunds",
        data={"payment_intent": payment_intent, "amount": amount},
        auth=(SECRET_KEY, ""),
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


def refund_event(localstripe, charge: Charge, *, kind: str, event_id: str) -> bytes:
    """The event Stripe sends, its object as Stripe holds it (the charge, or the refund)."""
    if kind == "charge.refunded":
        latest = localstripe.get(f"/v1/payment_intents/{charge.payment_intent_id}")["latest_charge"]
        obj = latest if isinstance(latest, dict) else localstripe.get(f"/v1/charges/{latest}")
    else:
        refunds = localstripe.get("/v1/refunds", payment_intent=charge.payment_intent_id)
        obj = refunds["data"][0]
    body = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


@pytest.fixture
def paid(localstripe):
    """A booking that ended 10 days ago ($700 a month, one month's deposit), its only
    month and the deposit paid: $1,400."""
    booking = running_booking(started_days_ago=40, months=1)
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=booking.start)
    charge = Charge.objects.get(booking=booking)
    assert charge.status == Charge.Status.PAID
    return charge


def test_a_dashboard_refund_marks_the_charge_refunded_once(client, localstripe, paid):
    refund = dashboard_refund(localstripe, paid.payment_intent_id, 70000)  # the rent
    payload = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_r1")
    response = post(client, payload, sign(payload))
    assert (response.status_code, response.content) == (200, b"refunded outside")
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_cents, paid.refund_id) == (
        Charge.Status.REFUNDED,
        70000,
        refund["id"],
    )
    # Redelivered, and the same refund's own event: nothing more.
    response = post(client, payload, sign(payload))
    assert (response.status_code, response.content) == (200, b"already applied")
    other = refund_event(localstripe, paid, kind="refund.created", event_id="evt_r2")
    response = post(client, other, sign(other))
    assert (response.status_code, response.content) == (200, b"already recorded")
    assert WebhookEvent.objects.count() == 2
    paid.refresh_from_db()
    assert paid.refunded_cents == 70000

    # The host's statement shows it as a refund this month.
    client.force_login(paid.booking.listing.host)
    page = client.get(reverse("host:payments_charge_statement")).content.decode()
    assert "Rent refunded</th><td>-$700.00" in page
    assert "Platform fee returned</th><td>$70.00" in page

    # Only the rent went back: the deposit is still held, and goes back as usual; that
    # refund (ours) is not taken for one made outside.
    charge_rent()
    settlement = DepositSettlement.objects.get(booking=paid.booking)
    assert (settlement.status, settlement.refund_cents) == ("refunded", 70000)
    again = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_r3")
    response = post(client, again, sign(again))
    assert (response.status_code, response.content) == (200, b"already recorded")
    paid.refresh_from_db()
    assert paid.refunded_cents == 70000
    refunds = localstripe.get("/v1/refunds", payment_intent=paid.payment_intent_id)["data"]
    assert sorted(r["amount"] for r in refunds) == [70000, 70000]


def refund_emails():
    return [m for m in mail.outbox if m.subject.startswith("Refund on invoice")]


def test_the_guest_is_told_of_a_dashboard_refund_once_and_reads_it_on_the_invoice(
    client, localstripe, paid, run_jobs
):
    guest = paid.booking.guest
    run_jobs()  # the receipt
    dashboard_refund(localstripe, paid.payment_intent_id, 70000)
    payload = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_t1")
    assert post(client, payload, sign(payload)).content == b"refunded outside"
    assert refund_emails() == []  # sent by the worker, after the event's commit
    run_jobs()
    (email,) = refund_emails()
    assert email.to == [guest.email]
    assert email.subject.startswith(f"Refund on invoice {paid.number}")
    assert "Paid: $1,400.00\nRefunded: $700.00" in email.body
    assert "Net paid: $700.00" in email.body

    # Stripe delivers the event again, and the refund's own events: no second email.
    assert post(client, payload, sign(payload)).content == b"already applied"
    other = refund_event(localstripe, paid, kind="refund.created", event_id="evt_t2")
    assert post(client, other, sign(other)).content == b"already recorded"
    run_jobs()
    assert len(refund_emails()) == 1

    # The guest's invoice shows the refund, its date, and what stays paid.
    paid.refresh_from_db()
    day = dateformat.format(timezone.localtime(paid.refunded_at), "F j, Y")
    client.force_login(guest)
    with CaptureQueriesContext(connection) as one_refund:
        page = client.get(paid.get_absolute_url()).content.decode()
    assert "<dt>Status</dt><dd>Partly refunded</dd>" in page
    assert f"Refunded, {day}</th><td>-$700.00</td>" in page
    assert "Net paid</th><td>$700.00</td>" in page

    # A second refund from the dashboard is a new refund: told too, with the new total.
    dashboard_refund(localstripe, paid.payment_intent_id, 35000)
    payload = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_t3")
    assert post(client, payload, sign(payload)).content == b"refunded outside"
    run_jobs()
    assert len(refund_emails()) == 2
    assert "Refunded: $1,050.00" in refund_emails()[1].body
    # Each refund is a line of its own, with its date; the net is what stays paid.
    first, second = ChargeRefund.objects.filter(charge=paid).order_by("refunded_at", "pk")
    assert (first.amount_cents, second.amount_cents) == (70000, 35000)
    with CaptureQueriesContext(connection) as two_refunds:
        page = client.get(paid.get_absolute_url()).content.decode()
    assert len(two_refunds) == len(one_refund)  # the lines are one query however many
    lines = re.findall(r"<th scope=\"row\">Refunded, ([^<]+)</th><td>(-\$[\d,.]+)</td>", page)
    assert lines == [
        (dateformat.format(timezone.localtime(first.refunded_at), "F j, Y"), "-$700.00"),
        (dateformat.format(timezone.localtime(second.refunded_at), "F j, Y"), "-$350.00"),
    ]
    assert "-$1,050.00" not in page and "Net paid</th><td>$350.00</td>" in page
    # The refunds' own events, redelivered or late: no line twice.
    for n, kind in enumerate(["refund.created", "refund.updated", "charge.refunded"]):
        again = refund_event(localstripe, paid, kind=kind, event_id=f"evt_t4{n}")
        assert post(client, again, sign(again)).content == b"already recorded"
    assert ChargeRefund.objects.filter(charge=paid).count() == 2
    run_jobs()
    assert len(refund_emails()) == 2


def test_a_team_bookings_refund_email_copies_the_billing_email_once(
    client, localstripe, paid, run_jobs
):
    booking = paid.booking
    booking.team = TeamFactory(name="Rocket Crew", billing_email="pay@rocket.test")
    booking.save(update_fields=["team"])
    add_member(booking.team, booking.guest)
    refund = dashboard_refund(localstripe, paid.payment_intent_id, 70000)
    payload = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_c1")
    assert post(client, payload, sign(payload)).content == b"refunded outside"
    run_jobs()
    (email,) = refund_emails()
    assert email.to == [booking.guest.email] and email.cc == ["pay@rocket.test"]
    assert "Team: Rocket Crew\nPaid: $1,400.00" in email.body
    assert (
        "A copy of this email goes to Rocket Crew's billing email, pay@rocket.test." in email.body
    )

    # The job again (a retry after the send, or a second enqueue): nothing more goes.
    again = {"kind": "refund", "charge_id": paid.pk, "refund_id": refund["id"]}
    assert payment_email_send.call(**again) is False
    payment_email_send.enqueue(**again)
    run_jobs()
    assert refund_emails() == [email]


@pytest.mark.parametrize("billing_email", ["", "GUEST"])
def test_a_team_refund_without_another_billing_email_goes_to_the_guest_alone(
    client, localstripe, paid, run_jobs, billing_email
):
    booking = paid.booking
    if billing_email == "GUEST":
        billing_email = booking.guest.email.upper()
    booking.team = TeamFactory(billing_email=billing_email, admin=booking.guest)
    booking.save(update_fields=["team"])
    dashboard_refund(localstripe, paid.payment_intent_id, 70000)
    payload = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_c2")
    assert post(client, payload, sign(payload)).content == b"refunded outside"
    run_jobs()
    (email,) = refund_emails()
    assert email.recipients() == [booking.guest.email]
    assert "billing email" not in email.body


def test_a_line_recorded_as_the_total_is_put_right_by_the_next_event(
    client, localstripe, paid, run_jobs
):
    """A charge refunded before refunds had rows of their own: the migration wrote one row,
    its total under its latest refund's id. The next refund event puts it right."""
    first = dashboard_refund(localstripe, paid.payment_intent_id, 20000)
    second = dashboard_refund(localstripe, paid.payment_intent_id, 30000)
    ChargeRefund.objects.create(
        charge=paid, stripe_id=second["id"], amount_cents=50000, refunded_at=timezone.now()
    )
    Charge.objects.filter(pk=paid.pk).update(
        status=Charge.Status.REFUNDED, refunded_cents=50000, refund_id=second["id"]
    )
    payload = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_m1")
    assert post(client, payload, sign(payload)).content == b"refunded outside"
    rows = ChargeRefund.objects.filter(charge=paid).order_by("stripe_id")
    assert sorted(rows.values_list("stripe_id", "amount_cents")) == sorted(
        [(first["id"], 20000), (second["id"], 30000)]
    )
    paid.refresh_from_db()
    assert (paid.refunded_cents, paid.net_cents) == (50000, 90000)
    run_jobs()
    assert refund_emails() == []  # the guest was told of $500.00 already: nothing new


def test_our_own_refund_is_not_an_outside_one(client, localstripe, paid):
    charge_rent()  # the deposit goes back (ours: its metadata names the settlement)
    payload = refund_event(localstripe, paid, kind="refund.created", event_id="evt_o1")
    response = post(client, payload, sign(payload))
    assert (response.status_code, response.content) == (200, b"none outside")
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_cents) == (Charge.Status.PAID, 0)


def test_stripe_unreachable_gets_503_and_stores_nothing(
    client, localstripe, paid, settings, run_jobs
):
    dashboard_refund(localstripe, paid.payment_intent_id, 140000)
    payload = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_u1")
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    assert post(client, payload, sign(payload)).status_code == 503
    assert not WebhookEvent.objects.exists()
    run_jobs()
    assert refund_emails() == []  # nothing recorded, no one told
    paid.refresh_from_db()
    assert paid.status == Charge.Status.PAID
    settings.STRIPE_API_BASE = localstripe.base  # Stripe delivers it again
    response = post(client, payload, sign(payload))
    assert (response.status_code, response.content) == (200, b"refunded outside")
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_cents) == (Charge.Status.REFUNDED, 140000)
    assert charge_rent() == 0
    assert not DepositSettlement.objects.exists()  # the deposit went back with it
    run_jobs()
    assert [m.to for m in refund_emails()] == [[paid.booking.guest.email]]


def test_a_refund_event_for_a_payment_not_ours_changes_nothing(client, localstripe, paid):
    body = {
        "id": "evt_n1",
        "object": "event",
        "type": "charge.refunded",
        "created": int(time.time()),
        "data": {"object": {"id": "ch_x", "object": "charge", "payment_intent": "pi_nope"}},
    }
    payload = json.dumps(body).encode()
    response = post(client, payload, sign(payload))
    assert (response.status_code, response.content) == (200, b"no matching charge")
    assert URL == "/payments/stripe/webhook/"
