"""The host's ledger (/host/ statement and its CSV): rent collected in the month it was
paid, a refund as a negative line in the month it was made, fees and net owed consistent."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.services import booking_approve, booking_cancel
from bookings.tests.factories import BookingFactory
from listings.tests.factories import ListingFactory
from payments.models import Charge
from payments.rules import refund_split

from .helpers import save_card

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
    listing = ListingFactory(deposit_months=1)
    booking = BookingFactory(listing=listing, desks=1, months=2)
    save_card(localstripe, booking.guest)
    booking_approve(booking=booking, host=listing.host)
    run_jobs()
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
