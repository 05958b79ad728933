"""An operator ends a booking, against localstripe: before the start everything paid goes
back; a running booking is charged no rent after its end, and part of its rent goes back
when the operator asks, newest charge first, recorded once and capped."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings.models import Booking, add_months
from bookings.services import END_REFUND_TOO_MUCH, booking_end_by_operator
from payments.collect import booking_collect, charge_rent
from payments.models import Charge, DepositSettlement

from .helpers import approved_and_paid, running_booking, save_card
from .test_refund_webhook import dashboard_refund, refund_emails, refund_event
from .test_webhooks import post, sign

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime.timedelta(days=1)


def operator():
    return UserFactory(is_staff=True, is_superuser=True)


def stripe_refunds(localstripe, charge):
    return localstripe.get("/v1/refunds", payment_intent=charge.payment_intent_id)["data"]


def two_months_paid(localstripe):
    """A booking that started 40 days ago, its first month, deposit and second month paid:
    $700 rent each month, a $700 deposit."""
    booking = running_booking(started_days_ago=40, months=6)
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=booking.start)
    charge_rent(today=add_months(booking.start, 1))
    first, second = Charge.objects.filter(booking=booking).order_by("period_start")
    assert (first.status, first.amount_cents, second.status, second.amount_cents) == (
        "paid",
        140000,
        "paid",
        70000,
    )
    return booking, first, second


def test_before_the_start_everything_paid_goes_back(localstripe, run_jobs):
    booking = approved_and_paid(localstripe, run_jobs)
    charge = Charge.objects.get(booking=booking)
    assert charge.status == Charge.Status.PAID

    booking_end_by_operator(booking=booking, by=operator(), reason="The space flooded.")
    run_jobs()
    run_jobs()
    booking.refresh_from_db()
    charge.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert [r["amount"] for r in stripe_refunds(localstripe, charge)] == [70000]
    assert (charge.status, charge.refunded_cents) == (Charge.Status.REFUNDED, 70000)
    assert charge_rent() == 0


def test_a_running_booking_is_charged_nothing_after_its_end(localstripe, run_jobs):
    booking, first, second = two_months_paid(localstripe)
    day = add_months(booking.start, 2)  # the third month's first day: today or later
    booking.refresh_from_db()
    assert day >= timezone.localdate()
    booking_end_by_operator(booking=booking, by=operator(), reason="Rules broken.", end=day)
    run_jobs()
    for month in range(2, 7):
        charge_rent(today=add_months(booking.start, month))
    assert Charge.objects.filter(booking=booking).count() == 2  # no third month, ever
    # The deposit goes back after the end, as after any end.
    settlement = DepositSettlement.objects.get(booking=booking)
    assert (settlement.status, settlement.refund_cents) == ("refunded", 70000)


def test_a_charge_written_for_a_period_from_the_end_on_is_void(localstripe, run_jobs):
    today = timezone.localdate()
    start = today - 28 * DAY
    while add_months(start, 1) != today:  # a month ago, to the anniversary
        start -= DAY
    booking = running_booking(started_days_ago=(today - start).days, months=6, deposit=0)
    # No card: this morning's run wrote today's month, due.
    charge_rent(today=today)
    due = Charge.objects.get(booking=booking, period_start=today)
    assert due.status == Charge.Status.DUE
    booking_end_by_operator(booking=booking, by=operator(), reason="Fraud.", end=today)
    due.refresh_from_db()
    assert due.status == Charge.Status.VOID
    first = Charge.objects.get(booking=booking, period_start=booking.start)
    assert first.status == Charge.Status.DUE  # the month used is still owed


def test_part_of_the_rent_goes_back_newest_charge_first_once(client, localstripe, run_jobs):
    booking, first, second = two_months_paid(localstripe)
    booking_end_by_operator(
        booking=booking,
        by=operator(),
        reason="The heating failed for two weeks.",
        end=timezone.localdate() + 5 * DAY,
        refund=Decimal("900.00"),
    )
    assert not stripe_refunds(localstripe, second)  # nothing at Stripe inside the end
    run_jobs()
    run_jobs()  # once
    first.refresh_from_db()
    second.refresh_from_db()
    (newest,) = stripe_refunds(localstripe, second)
    (older,) = stripe_refunds(localstripe, first)
    assert (newest["amount"], older["amount"]) == (70000, 20000)
    assert newest["metadata"]["charge_id"] == str(second.pk)
    # Each recorded through the one function, as Stripe made it.
    assert list(second.refunds.values_list("stripe_id", "amount_cents")) == [(newest["id"], 70000)]
    assert list(first.refunds.values_list("stripe_id", "amount_cents")) == [(older["id"], 20000)]
    assert (second.status, second.refunded_cents) == (Charge.Status.REFUNDED, 70000)
    assert (first.status, first.refunded_cents) == (Charge.Status.REFUNDED, 20000)

    # The guest's one email says how much goes back; the host's says it too.
    ended = [m for m in mail.outbox if m.subject.startswith("Ended by PivotDesk")]
    assert sorted(m.to[0] for m in ended) == sorted(
        [booking.guest.email, booking.listing.host.email]
    )
    guest_mail = next(m for m in ended if m.to == [booking.guest.email])
    assert "$900.00 of the rent paid goes back" in guest_mail.body
    assert "The heating failed for two weeks." in guest_mail.body

    # The webhook knows the refund as ours: not recorded a second time.
    payload = refund_event(localstripe, second, kind="refund.created", event_id="evt_end1")
    response = post(client, payload, sign(payload))
    assert (response.status_code, response.content) == (200, b"already recorded")
    second.refresh_from_db()
    assert second.refunded_cents == 70000 and second.refunds.count() == 1


def test_the_refund_is_capped_at_the_rent_not_yet_refunded(localstripe, run_jobs):
    booking, first, second = two_months_paid(localstripe)
    # $1,400 of rent paid (the $700 deposit is not the operator's to give back here).
    with pytest.raises(ValidationError) as exc:
        booking_end_by_operator(
            booking=booking, by=operator(), reason="x", refund=Decimal("1400.01")
        )
    assert exc.value.messages == [END_REFUND_TOO_MUCH.format(most=Decimal("1400"))]
    booking.refresh_from_db()
    assert booking.end == add_months(booking.start, 6) and not booking.events.exists()
    run_jobs()
    assert not stripe_refunds(localstripe, first) and not stripe_refunds(localstripe, second)

    booking_end_by_operator(booking=booking, by=operator(), reason="x", refund=Decimal("1400"))
    run_jobs()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.refunded_cents, second.refunded_cents) == (70000, 70000)
    assert first.status == second.status == Charge.Status.REFUNDED


def test_the_operator_page_offers_the_refund_and_shows_its_cap(client, localstripe, run_jobs):
    booking, first, second = two_months_paid(localstripe)
    client.force_login(operator())
    url = reverse("admin:bookings_booking_end", args=[booking.pk])
    page = client.get(url).content.decode()
    assert 'name="refund"' in page and "at most $1,400.00" in page
    today = timezone.localdate().isoformat()
    too_much = client.post(url, {"reason": "Flooded.", "end": today, "refund": "1500"})
    assert too_much.status_code == 200
    assert "At most $1,400.00 of the rent paid can be given back." in too_much.content.decode()
    bad = client.post(url, {"reason": "Flooded.", "end": today, "refund": "-5"})
    assert bad.status_code == 200
    run_jobs()
    booking.refresh_from_db()
    assert not booking.events.exists() and not stripe_refunds(localstripe, second)

    done = client.post(url, {"reason": "Flooded.", "end": today, "refund": "100.50"})
    assert done.status_code == 302
    run_jobs()
    assert [r["amount"] for r in stripe_refunds(localstripe, second)] == [10050]


GARBAGE_REFUNDS = ["NaN", "Infinity", "-Infinity", "sNaN", "1e9", "9" * 60, "12.345", "0.001"]
GARBAGE_REFUNDS += ["1,000", "$5", "0", "five", "\x00"]
GARBAGE_ENDS = ["99999-01-01", "0000-00-00", "2027-02-30", "tomorrow", "\x00"]


def test_garbage_on_the_operator_page_is_a_form_error_and_changes_nothing(
    client, localstripe, run_jobs
):
    booking, first, second = two_months_paid(localstripe)
    client.force_login(operator())
    url = reverse("admin:bookings_booking_end", args=[booking.pk])
    today = timezone.localdate().isoformat()
    posts = [{"reason": "Flooded.", "end": today, "refund": value} for value in GARBAGE_REFUNDS]
    posts += [{"reason": "Flooded.", "end": value} for value in GARBAGE_ENDS]
    posts += [{"reason": "\x00", "end": today}, {"reason": "x" * 5000, "end": today}]
    for data in posts:
        response = client.post(url, data)
        assert response.status_code == 200, data
        assert "errorlist" in response.content.decode(), data
    run_jobs()
    booking.refresh_from_db()
    assert not booking.events.exists() and not stripe_refunds(localstripe, second)


def test_a_form_sent_twice_gives_back_once(client, localstripe, run_jobs):
    booking, first, second = two_months_paid(localstripe)
    client.force_login(operator())
    url = reverse("admin:bookings_booking_end", args=[booking.pk])
    data = {
        "reason": "Flooded.",
        "end": (timezone.localdate() + 5 * DAY).isoformat(),
        "refund": "100.00",
    }
    # The second arrives before the job made the first refund: the cap alone let it through.
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 200
    run_jobs()
    assert [r["amount"] for r in stripe_refunds(localstripe, second)] == [10000]
    assert not stripe_refunds(localstripe, first)


def test_rent_paid_for_the_period_that_begins_on_the_end_day_goes_back_whole(localstripe, run_jobs):
    # The third month begins today and the daily run has charged it; ended today, the
    # guest has none of it.
    today = timezone.localdate()
    start = add_months(today, -2)
    booking = running_booking(started_days_ago=(today - start).days, months=6)
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=start)
    charge_rent(today=add_months(start, 1))
    charge_rent(today=today)
    first, second, third = Charge.objects.filter(booking=booking).order_by("period_start")
    assert (third.period_start, third.status) == (today, Charge.Status.PAID)
    # The cap is the rent of the two months before the end: the third goes back anyway.
    with pytest.raises(ValidationError) as exc:
        booking_end_by_operator(
            booking=booking, by=operator(), reason="Flooded.", refund=Decimal("1400.01")
        )
    assert exc.value.messages == [END_REFUND_TOO_MUCH.format(most=Decimal("1400"))]

    booking_end_by_operator(
        booking=booking, by=operator(), reason="Flooded.", refund=Decimal("100")
    )
    run_jobs()
    assert [r["amount"] for r in stripe_refunds(localstripe, third)] == [70000]
    assert [r["amount"] for r in stripe_refunds(localstripe, second)] == [10000]
    assert not stripe_refunds(localstripe, first)
    third.refresh_from_db()
    assert (third.status, third.refunded_cents) == (Charge.Status.REFUNDED, 70000)


def test_a_dashboard_refund_whose_event_has_not_come_is_left_alone(client, localstripe, run_jobs):
    booking, first, second = two_months_paid(localstripe)
    run_jobs()  # the receipts
    # Refunded in Stripe's dashboard; its event is not here yet, so our record has not got it.
    outside = dashboard_refund(localstripe, second.payment_intent_id, 50000)
    booking_end_by_operator(
        booking=booking,
        by=operator(),
        reason="The heating failed.",
        end=timezone.localdate() + 5 * DAY,
        refund=Decimal("900.00"),
    )
    run_jobs()
    run_jobs()  # once
    first.refresh_from_db()
    second.refresh_from_db()
    # The newest charge gives what Stripe had left of it, $200; the rest comes from the first.
    newest = [r for r in stripe_refunds(localstripe, second) if r["id"] != outside["id"]]
    assert [r["amount"] for r in newest] == [20000]
    assert [r["amount"] for r in stripe_refunds(localstripe, first)] == [70000]
    # The dashboard refund is recorded as the webhook records it, the guest told of it once.
    assert dict(second.refunds.values_list("stripe_id", "amount_cents")) == {
        outside["id"]: 50000,
        newest[0]["id"]: 20000,
    }
    assert (second.status, second.refunded_cents, second.net_cents) == ("refunded", 70000, 0)
    assert (first.status, first.refunded_cents) == ("refunded", 70000)
    assert len(refund_emails()) == 1

    # Its event comes at last: already recorded, nothing counted or told twice.
    payload = refund_event(localstripe, second, kind="charge.refunded", event_id="evt_late1")
    assert post(client, payload, sign(payload)).content == b"already recorded"
    second.refresh_from_db()
    assert (second.refunded_cents, second.refunds.count()) == (70000, 2)
    run_jobs()
    assert len(refund_emails()) == 1
