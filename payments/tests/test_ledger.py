"""The host's ledger (/host/ statement and its CSV): rent collected in the month it was
paid, each refund as a negative line in the month it was made, fees and net owed
consistent."""

import csv
import datetime
import io

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.services import booking_cancel
from payments.collect import booking_collect, charge_refund_record
from payments.models import Charge
from payments.rules import refund_part, refund_split
from payments.selectors import host_statement

from .helpers import approved_and_paid, running_booking, save_card

pytestmark = pytest.mark.django_db(transaction=True)


def statement(client, month: datetime.date):
    url = reverse("host:payments_charge_statement")
    page = client.get(url, {"month": f"{month:%Y-%m}"}).content.decode()
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(url, {"month": f"{month:%Y-%m}", "format": "csv"}).content.decode()
            )
        )
    )
    totals = {row[1]: row[5] for row in rows if row[0] == "total"}
    return page, [row for row in rows[1:] if row[0] != "total"], totals


def test_a_refund_shows_in_its_own_month_as_a_negative_line(client, localstripe, run_jobs):
    # $350 a month, one month's deposit: the first charge is $350 rent (fee $35) + $350.
    booking = approved_and_paid(localstripe, run_jobs)
    listing = booking.listing
    charge = Charge.objects.get(booking=booking)
    # It was paid last month (the arrangement: the refund comes a month after payment).
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    paid_at = datetime.datetime.combine(
        last_month.replace(day=15), datetime.time(12), tzinfo=timezone.get_current_timezone()
    )
    Charge.objects.filter(pk=charge.pk).update(paid_at=paid_at)
    booking_cancel(booking=booking, by=booking.guest)  # before the start: all goes back
    run_jobs()
    charge.refresh_from_db()
    assert (charge.status, charge.refunded_cents) == (Charge.Status.REFUNDED, 70000)

    client.force_login(listing.host)
    # The month it was paid still shows it collected: rent, fee, deposit held, net.
    page, lines, totals = statement(client, last_month)
    assert "Rent collected</th><td>$350.00" in page
    assert "Net owed to you</th><td>$315.00" in page
    assert charge.number in page and "No refunds this month." in page
    assert [line[1:] for line in lines] == [
        [
            charge.number,
            str(booking.pk),
            listing.title,
            f"{charge.period_start}/{charge.period_end}",
            "350.00",
            "35.00",
            "350.00",
            "paid",
        ]
    ]
    assert totals == {
        "rent collected": "350.00",
        "platform fee": "-35.00",
        "rent refunded": "0.00",
        "platform fee returned": "0.00",
        "deposits held": "350.00",
        "deposits refunded": "0.00",
        "deposits kept": "0.00",
        "net owed": "315.00",
    }
    # The month of the refund: a negative line, the fee given back, the net down by it.
    page, lines, totals = statement(client, this_month)
    assert "Rent refunded</th><td>-$350.00" in page
    assert "Platform fee returned</th><td>$35.00" in page
    assert "Net owed to you</th><td>-$315.00" in page
    assert "Nothing was paid this month." in page
    assert [(line[1], line[5:]) for line in lines] == [
        (charge.number, ["-350.00", "-35.00", "-350.00", "refund"])
    ]
    assert totals["rent collected"] == "0.00"
    assert totals["deposits refunded"] == "350.00"
    assert totals["net owed"] == "-315.00"


@pytest.mark.parametrize(
    ("refunded", "expected"),
    [
        (70000, (35000, 3500, 35000)),  # in full: all the fee back
        (35000, (35000, 3500, 0)),  # the rent
        (10001, (10001, 1000, 0)),  # part of the rent: its share of the fee, half up
        (40000, (35000, 3500, 5000)),  # the rent, then part of the deposit
        (0, (0, 0, 0)),
    ],
)
def test_a_refund_comes_out_of_the_rent_first_then_the_deposit(refunded, expected):
    split = refund_split(
        refunded_cents=refunded, rent_cents=35000, deposit_cents=35000, fee_cents=3500
    )
    assert split == expected


def month_day(month: datetime.date, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A wall time in Denver (the statement's months are Denver's)."""
    return datetime.datetime.combine(
        month.replace(day=day), datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


def paid_two_months_ago(localstripe) -> Charge:
    """A charge paid two months ago: $700 rent (fee $70) and a $700 deposit."""
    booking = running_booking(started_days_ago=3, months=3)
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=booking.start)
    charge = Charge.objects.get(booking=booking)
    Charge.objects.filter(pk=charge.pk).update(paid_at=month_day(months_ago(2), 10, 12))
    return charge


def months_ago(n: int) -> datetime.date:
    month = timezone.localdate().replace(day=1)
    for _ in range(n):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return month


def refund(charge: Charge, stripe_id: str, amount_cents: int, at: datetime.datetime) -> bool:
    """A refund of ``charge`` recorded as the webhook and the cancellation record theirs."""
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        return charge_refund_record(
            charge=locked, stripe_id=stripe_id, amount_cents=amount_cents, refunded_at=at
        )


def test_a_charge_refunded_in_two_months_shows_each_refund_in_its_own_month(client, localstripe):
    charge = paid_two_months_ago(localstripe)
    last_month, this_month = months_ago(1), months_ago(0)
    # $500 on the last evening of last month (in Denver; already the 1st in UTC), then $300
    # this month: the rent is $700, so the second refund eats $100 into the deposit.
    first_at = month_day(this_month, 1, 23, 30) - datetime.timedelta(days=1)
    assert first_at.astimezone(datetime.UTC).date() == this_month
    refund(charge, "re_first", 50000, first_at)
    refund(charge, "re_second", 30000, month_day(this_month, 15, 9))
    charge.refresh_from_db()
    assert (charge.status, charge.refunded_cents, charge.refund_id) == (
        Charge.Status.REFUNDED,
        80000,
        "re_second",
    )

    client.force_login(charge.booking.listing.host)
    page, lines, totals = statement(client, last_month)
    assert [(line[0], line[1], line[5:]) for line in lines] == [
        (first_at.date().isoformat(), charge.number, ["-500.00", "-50.00", "0.00", "refund"])
    ]
    assert "Rent refunded</th><td>-$500.00" in page
    assert "Platform fee returned</th><td>$50.00" in page
    assert "Net owed to you</th><td>-$450.00" in page
    assert (totals["deposits refunded"], totals["net owed"]) == ("0.00", "-450.00")

    page, lines, totals = statement(client, this_month)
    assert [(line[0], line[1], line[5:]) for line in lines] == [
        (
            this_month.replace(day=15).isoformat(),
            charge.number,
            ["-200.00", "-20.00", "-100.00", "refund"],
        )
    ]
    assert "<td>-$300.00</td><td>-$200.00</td><td>-$20.00</td><td>-$100.00</td>" in page
    assert (totals["rent refunded"], totals["platform fee returned"]) == ("-200.00", "20.00")
    assert (totals["deposits refunded"], totals["net owed"]) == ("100.00", "-180.00")

    # The months add up to the split of the charge's refunded total.
    months = [host_statement(host=None, month=m) for m in (last_month, this_month)]
    parts = [(r.rent_cents, r.fee_cents, r.deposit_cents) for s in months for r in s.refunds]
    assert tuple(map(sum, zip(*parts, strict=True))) == refund_split(
        refunded_cents=charge.refunded_cents,
        rent_cents=charge.rent_cents,
        deposit_cents=charge.deposit_cents,
        fee_cents=charge.fee_cents,
    )
    # The month it was paid is untouched by either.
    page, lines, totals = statement(client, months_ago(2))
    assert [line[-1] for line in lines] == ["paid"]
    assert (totals["rent collected"], totals["rent refunded"]) == ("700.00", "0.00")


def test_the_statement_reads_refunds_in_the_same_queries_however_many(localstripe):
    this_month = months_ago(0)
    first = paid_two_months_ago(localstripe)
    refund(first, "re_a1", 10000, month_day(this_month, 2, 10))
    with CaptureQueriesContext(connection) as one:
        assert len(host_statement(host=None, month=this_month).refunds) == 1

    refund(first, "re_a2", 70000, month_day(this_month, 3, 10))
    for n in range(2):
        other = paid_two_months_ago(localstripe)
        refund(other, f"re_b{n}1", 20000, month_day(months_ago(1), 20, 10))
        refund(other, f"re_b{n}2", 60000, month_day(this_month, 4 + n, 10))
        refund(other, f"re_b{n}3", 10000, month_day(this_month, 6 + n, 10))
    with CaptureQueriesContext(connection) as many:
        statement = host_statement(host=None, month=this_month)
    assert len(many) == len(one)
    assert len(statement.refunds) == 6
    # Each line its own date and amount, in order; the rent went first, then the deposit.
    assert [(r.refunded_at.day, r.amount_cents) for r in statement.refunds] == [
        (2, 10000),
        (3, 70000),
        (4, 60000),
        (5, 60000),
        (6, 10000),
        (7, 10000),
    ]
    assert [(r.rent_cents, r.fee_cents, r.deposit_cents) for r in statement.refunds] == [
        (10000, 1000, 0),
        (60000, 6000, 10000),
        (50000, 5000, 10000),
        (50000, 5000, 10000),
        (0, 0, 10000),
        (0, 0, 10000),
    ]


@pytest.mark.parametrize(
    "amounts",
    [
        [35000, 35000],
        [10001, 10001, 10001, 40000],  # the fee's half-up rounding, then the deposit
        [1, 34999, 1, 34999],
        [50000, 50000],  # Stripe never refunds more than was paid; capped all the same
    ],
)
def test_a_charges_refund_parts_add_up_to_the_split_of_its_total(amounts):
    charge = {"rent_cents": 35000, "deposit_cents": 35000, "fee_cents": 3500}
    parts, before = [], 0
    for amount in amounts:
        parts.append(refund_part(before_cents=before, amount_cents=amount, **charge))
        before += amount
    total = min(before, 70000)
    assert tuple(map(sum, zip(*parts, strict=True))) == refund_split(refunded_cents=total, **charge)
    assert all(part >= 0 for line in parts for part in line)
