"""The money flow against a running localstripe: card, approval charge, monthly runs,
notice and proration, the end and the deposit refund; declines and retries."""

import datetime

import pytest
import requests
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import dateformat, timezone

from bookings.models import Booking, add_months
from bookings.services import booking_approve, booking_cancel, booking_request
from bookings.tests.factories import BookingFactory
from listings.tests.factories import ListingFactory
from payments.collect import (
    booking_collect,
    booking_refund,
    charge_attempt,
    charge_refund_record,
    charge_rent,
)
from payments.models import Charge, ChargeRefund, DepositSettlement
from payments.rules import period_rent_cents
from payments.selectors import booking_payment_state
from payments.services import RELEASE_NOTE, booking_release_unpaid, deposit_settle

from .helpers import approved_and_paid, running_booking, save_card
from .localstripe import CARD_DECLINED_ON_CHARGE, SECRET_KEY

pytestmark = pytest.mark.django_db(transaction=True)


def stripe_charges(localstripe, customer_id):
    return [
        c
        for c in localstripe.get("/v1/charges", customer=customer_id, limit=100)["data"]
        if c["status"] == "succeeded"
    ]


def test_approval_charges_first_month_and_deposit_after_commit(localstripe, run_jobs):
    listing = ListingFactory(deposit_months=1)
    booking = BookingFactory(listing=listing, desks=2, months=3)
    customer = save_card(localstripe, booking.guest)

    booking_approve(booking=booking, host=listing.host)
    assert not Charge.objects.exists()  # nothing charged inside the approval
    run_jobs()

    charge = Charge.objects.get(booking=booking)
    assert charge.status == Charge.Status.PAID
    assert (charge.rent_cents, charge.deposit_cents, charge.fee_cents) == (70000, 70000, 7000)
    made = stripe_charges(localstripe, customer.stripe_id)
    assert [c["amount"] for c in made] == [140000]
    receipts = [m for m in mail.outbox if charge.number in m.subject]
    assert len(receipts) == 1 and receipts[0].to == [booking.guest.email]
    assert "Deposit (refundable): $700.00" in receipts[0].body


def test_instant_book_charges_too(localstripe, run_jobs):
    listing = ListingFactory(instant_book=True, deposit_months=0)
    guest = BookingFactory.build().guest
    guest.save()
    save_card(localstripe, guest)
    booking = booking_request(
        guest=guest,
        listing=listing,
        desks=1,
        start=timezone.localdate() + datetime.timedelta(days=3),
        months=2,
    )
    run_jobs()
    charge = Charge.objects.get(booking=booking)
    assert charge.status == Charge.Status.PAID
    assert charge.amount_cents == 35000


def test_whole_flow_months_notice_proration_end_and_deposit_refund(localstripe):
    # Started 3 months and 5 days ago, 6 months booked, a deposit of one month.
    booking = running_booking(started_days_ago=0)
    start = timezone.localdate() - datetime.timedelta(days=97)
    booking.start, booking.end = start, add_months(start, 6)
    booking.save()
    customer = save_card(localstripe, booking.guest)

    booking_collect(booking_id=booking.pk, today=start)  # the approval job
    for month in (1, 2, 3):  # three monthly runs, each on the anniversary, each twice
        charge_rent(today=add_months(start, month))
        charge_rent(today=add_months(start, month))
    assert Charge.objects.filter(booking=booking).paid().count() == 4
    assert len(stripe_charges(localstripe, customer.stripe_id)) == 4

    booking_cancel(booking=booking, by=booking.guest)  # after the start: 30 days' notice
    booking.refresh_from_db()
    assert booking.end == timezone.localdate() + datetime.timedelta(days=30)
    last_start = add_months(start, 4)
    charge_rent(today=last_start)
    last = Charge.objects.get(booking=booking, period_start=last_start)
    assert last.period_end == booking.end
    assert last.rent_cents == period_rent_cents(booking=booking, start=last_start, end=booking.end)
    assert 0 < last.rent_cents < 70000

    # After the end: nothing more is charged; the deposit goes back within 7 days.
    for day in range(0, 8):
        charge_rent(today=booking.end + datetime.timedelta(days=day))
    assert Charge.objects.filter(booking=booking).count() == 5
    assert len(stripe_charges(localstripe, customer.stripe_id)) == 5
    settlement = DepositSettlement.objects.get(booking=booking)
    assert settlement.status == DepositSettlement.Status.REFUNDED
    first = Charge.objects.get(booking=booking, period_start=start)
    refunds = localstripe.get("/v1/refunds", payment_intent=first.payment_intent_id)["data"]
    assert [r["amount"] for r in refunds] == [70000]
    assert booking_payment_state(booking=booking) == "refunded"


def test_host_keeps_part_of_the_deposit_with_a_reason(localstripe, run_jobs):
    booking = running_booking(started_days_ago=40, months=1)
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=booking.start)
    with pytest.raises(Exception, match="reason"):
        deposit_settle(booking=booking, host=booking.listing.host, keep_cents=5000)
    deposit_settle(
        booking=booking, host=booking.listing.host, keep_cents=5000, reason="Broken chair"
    )
    run_jobs()
    settlement = DepositSettlement.objects.get(booking=booking)
    assert (settlement.status, settlement.refund_cents) == ("refunded", 65000)
    told = [m for m in mail.outbox if "deposit" in m.subject.lower()]
    assert "Broken chair" in told[0].body and "$650.00" in told[0].body


def test_declined_card_leaves_payment_due_then_a_new_card_pays(localstripe, run_jobs):
    listing = ListingFactory(deposit_months=0)
    booking = BookingFactory(listing=listing, desks=1, months=2)
    save_card(localstripe, booking.guest, CARD_DECLINED_ON_CHARGE)

    booking_approve(booking=booking, host=listing.host)
    run_jobs()
    booking.refresh_from_db()
    charge = Charge.objects.get(booking=booking)
    assert booking.status == Booking.Status.APPROVED
    assert charge.status == Charge.Status.DUE and "declined" in charge.last_error
    assert charge.next_attempt_at == charge.first_failed_at + datetime.timedelta(days=1)
    assert booking_payment_state(booking=booking) == "due"
    subjects = [m.subject for m in mail.outbox]
    assert any(s.startswith("Payment due: update your card") for s in subjects)
    assert any(s.startswith(f"Payment due on booking #{booking.pk}") for s in subjects)
    guest_mail = next(m for m in mail.outbox if m.subject.startswith("Payment due: update"))
    assert f"/payments/card/?booking={booking.pk}" in guest_mail.body

    save_card(localstripe, booking.guest)  # a working card: the due charge is tried at once
    run_jobs()
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    assert booking_payment_state(booking=booking) == "paid"


def test_retries_on_days_1_3_5_then_the_host_may_release(localstripe, run_jobs):
    booking = running_booking(started_days_ago=0, months=2, deposit=0)
    save_card(localstripe, booking.guest, CARD_DECLINED_ON_CHARGE)
    booking_collect(booking_id=booking.pk)
    charge = Charge.objects.get(booking=booking)
    failed = charge.first_failed_at
    tries = []
    for day in (1, 3, 5):
        at = failed + datetime.timedelta(days=day)
        assert charge_attempt(charge_id=charge.pk, now=at) is not None
        charge.refresh_from_db()
        tries.append(charge.next_attempt_at)
    assert tries == [failed + datetime.timedelta(days=3), failed + datetime.timedelta(days=5), None]
    assert charge.attempts == 4

    host = booking.listing.host
    with pytest.raises(Exception, match="7 days"):
        booking_release_unpaid(booking=booking, host=host)
    Charge.objects.filter(pk=charge.pk).update(first_failed_at=failed - datetime.timedelta(days=7))
    booking_release_unpaid(booking=booking, host=host)
    booking.refresh_from_db()
    charge.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert charge.status == Charge.Status.VOID
    run_jobs()
    told = [m for m in mail.outbox if m.to == [booking.guest.email] and RELEASE_NOTE in m.body]
    assert len(told) == 1


def test_no_card_on_file_is_payment_due_not_an_error(localstripe, run_jobs):
    listing = ListingFactory()
    booking = BookingFactory(listing=listing)
    booking_approve(booking=booking, host=listing.host)
    run_jobs()
    charge = Charge.objects.get(booking=booking)
    assert charge.status == Charge.Status.DUE and charge.last_error == "No card on file."


def test_without_stripe_keys_payments_are_off(settings, run_jobs):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""
    listing = ListingFactory()
    booking = BookingFactory(listing=listing)
    booking_approve(booking=booking, host=listing.host)
    run_jobs()
    assert charge_rent() == 0
    assert not Charge.objects.exists()


def test_cancelling_before_the_start_refunds_rent_and_deposit(client, localstripe, run_jobs):
    booking = approved_and_paid(localstripe, run_jobs)
    charge = Charge.objects.get(booking=booking)
    assert charge.status == Charge.Status.PAID

    booking_cancel(booking=booking, by=booking.guest)
    run_jobs()
    run_jobs()  # a second run refunds nothing more
    charge.refresh_from_db()
    assert charge.status == Charge.Status.REFUNDED
    refunds = localstripe.get("/v1/refunds", payment_intent=charge.payment_intent_id)["data"]
    assert [r["amount"] for r in refunds] == [70000]
    assert list(charge.refunds.values_list("stripe_id", "amount_cents")) == [
        (refunds[0]["id"], 70000)
    ]
    assert charge_rent() == 0  # nothing is charged for a cancelled booking

    # The guest's invoice shows the refund as a dashboard refund would be.
    day = dateformat.format(timezone.localtime(charge.refunded_at), "F j, Y")
    client.force_login(booking.guest)
    page = client.get(charge.get_absolute_url()).content.decode()
    assert "<dt>Status</dt><dd>Refunded</dd>" in page
    assert f"Refunded, {day}</th><td>-$700.00</td>" in page
    assert "Net paid</th><td>$0.00</td>" in page


def test_the_cancellation_refund_is_recorded_as_stripe_made_it(client, localstripe, run_jobs):
    booking = approved_and_paid(localstripe, run_jobs)
    listing = booking.listing
    booking_cancel(booking=booking, by=booking.guest)
    run_jobs()
    charge = Charge.objects.get(booking=booking)
    (made,) = localstripe.get("/v1/refunds", payment_intent=charge.payment_intent_id)["data"]
    made_at = datetime.datetime.fromtimestamp(made["created"], tz=datetime.UTC)
    # One row, as Stripe holds the refund (its id, amount and time); the charge reads it.
    assert list(charge.refunds.values_list("stripe_id", "amount_cents", "refunded_at")) == [
        (made["id"], 70000, made_at)
    ]
    assert (charge.status, charge.refunded_cents, charge.refund_id, charge.refunded_at) == (
        Charge.Status.REFUNDED,
        70000,
        made["id"],
        made_at,
    )
    # The host's statement books it in the month Stripe made it, with its date.
    client.force_login(listing.host)
    month = timezone.localtime(made_at).date()
    rows = client.get(
        reverse("host:payments_charge_statement"), {"month": f"{month:%Y-%m}", "format": "csv"}
    ).content.decode()
    assert f"{month.isoformat()},{charge.number}," in rows
    assert ",-350.00,-35.00,-350.00,refund" in rows


def test_the_guest_is_told_of_the_cancellation_refund_once(localstripe, run_jobs, mailoutbox):
    booking = approved_and_paid(localstripe, run_jobs)
    mailoutbox.clear()
    booking_cancel(booking=booking, by=booking.guest)
    run_jobs()
    charge = Charge.objects.get(booking=booking)
    refunds = [m for m in mailoutbox if m.subject.lower().startswith("refund")]
    assert len(refunds) == 1, [m.subject for m in mailoutbox]
    assert refunds[0].to == [booking.guest.email]
    assert f"invoice {charge.number}" in refunds[0].body
    assert "Refunded: $700.00" in refunds[0].body
    assert "Net paid: $0.00" in refunds[0].body
    # The job again (a retry after a lost acknowledgement): nothing new is recorded or sent.
    booking_refund(booking_id=booking.pk)
    run_jobs()
    assert len([m for m in mailoutbox if m.subject.lower().startswith("refund")]) == 1


def refund_recorded(charge: Charge, **refund) -> bool:
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        return charge_refund_record(charge=locked, **refund)


def test_a_refund_is_recorded_once_and_a_bad_one_refused(localstripe):
    booking = running_booking(started_days_ago=3, months=2)
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=booking.start)
    charge = Charge.objects.get(booking=booking)
    at = timezone.now()
    for bad in [
        {"stripe_id": "re_zero", "amount_cents": 0},  # a refund of nothing
        {"stripe_id": "", "amount_cents": 100},  # no Stripe id
    ]:
        with pytest.raises(ValidationError):
            refund_recorded(charge, refunded_at=at, **bad)
    charge.refresh_from_db()
    assert (charge.status, charge.refunded_cents, charge.refunds.count()) == ("paid", 0, 0)

    assert refund_recorded(charge, stripe_id="re_1", amount_cents=10000, refunded_at=at)
    assert not refund_recorded(charge, stripe_id="re_1", amount_cents=10000, refunded_at=at)
    charge.refresh_from_db()
    assert (charge.status, charge.refunded_cents, charge.refunds.count()) == ("refunded", 10000, 1)

    # A charge never paid has nothing to refund; Stripe's refund id belongs to one charge.
    unpaid = running_booking(started_days_ago=3, months=2)
    booking_collect(booking_id=unpaid.pk, today=unpaid.start)  # no card: due
    with pytest.raises(ValidationError, match="Only a charge that was paid can be refunded"):
        refund_recorded(unpaid.charges.get(), stripe_id="re_2", amount_cents=100, refunded_at=at)
    other = running_booking(started_days_ago=3, months=2)
    save_card(localstripe, other.guest)
    booking_collect(booking_id=other.pk, today=other.start)
    with pytest.raises(ValidationError, match="Stripe id already exists"):
        refund_recorded(other.charges.get(), stripe_id="re_1", amount_cents=100, refunded_at=at)
    assert ChargeRefund.objects.count() == 1


def test_a_released_booking_gets_its_deposit_back_5_days_later(localstripe):
    booking = running_booking(started_days_ago=20, months=3)
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=booking.start)
    from bookings.services import booking_release

    booking_release(booking=booking, by=booking.listing.host, note="Released")
    today = timezone.localdate()
    charge_rent(today=today + datetime.timedelta(days=4))
    assert not DepositSettlement.objects.exists()
    charge_rent(today=today + datetime.timedelta(days=5))
    settlement = DepositSettlement.objects.get(booking=booking)
    assert (settlement.status, settlement.refund_cents) == ("refunded", 70000)


def test_a_cancellation_refunds_what_a_dashboard_refund_left(localstripe, run_jobs, mailoutbox):
    # Part of the first month went back from Stripe's dashboard; the guest then cancels
    # before the start: the rest goes back too, and the guest reads the whole amount.
    booking = approved_and_paid(localstripe, run_jobs)
    charge = Charge.objects.get(booking=booking)
    outside = requests.post(
        f"{localstripe.base}/v1/refunds",
        data={"payment_intent": charge.payment_intent_id, "amount": 20000},
        auth=(SECRET_KEY, ""),
        timeout=5,
    ).json()
    refund_recorded(charge, stripe_id=outside["id"], amount_cents=20000, refunded_at=timezone.now())
    mailoutbox.clear()
    booking_cancel(booking=booking, by=booking.guest)
    run_jobs()
    charge.refresh_from_db()
    made = localstripe.get("/v1/refunds", payment_intent=charge.payment_intent_id)["data"]
    assert sorted(r["amount"] for r in made) == [20000, 50000]
    assert (charge.refunded_cents, charge.net_cents, charge.refunds.count()) == (70000, 0, 2)
    (email,) = [m for m in mailoutbox if m.subject.startswith("Refund on invoice")]
    assert "Refunded: $700.00" in email.body and "Net paid: $0.00" in email.body
