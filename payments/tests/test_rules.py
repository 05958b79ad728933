import datetime
from decimal import Decimal

import pytest

from bookings.models import Booking
from payments.rules import (
    cents_to_text,
    divide_half_up,
    dollars_to_cents,
    fee_cents,
    period_rent_cents,
    term_periods,
)


def booking(start, end, price="350.00", desks=2):
    return Booking(start=start, end=end, months=6, desks=desks, price_per_desk=Decimal(price))


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("350.00", 35000), ("0.01", 1), ("19.995", 2000), ("19.994", 1999), ("1234.5", 123450)],
)
def test_dollars_become_integer_cents_rounded_half_up(amount, cents):
    assert dollars_to_cents(Decimal(amount)) == cents


def test_half_a_cent_rounds_up_and_less_rounds_down():
    assert divide_half_up(1, 2) == 1  # 0.5 cent -> 1
    assert divide_half_up(149, 100) == 1
    assert divide_half_up(150, 100) == 2
    assert fee_cents(rent_cents=70005, percent=10) == 7001  # 7000.5 -> 7001


def test_money_reads_with_dollars_and_cents():
    assert cents_to_text(123456) == "$1,234.56"
    assert cents_to_text(-705) == "-$7.05"


def test_periods_follow_the_anniversary_and_stop_at_the_end():
    b = booking(datetime.date(2027, 1, 31), datetime.date(2027, 4, 30))
    assert term_periods(booking=b) == [
        (datetime.date(2027, 1, 31), datetime.date(2027, 2, 28)),
        (datetime.date(2027, 2, 28), datetime.date(2027, 3, 31)),
        (datetime.date(2027, 3, 31), datetime.date(2027, 4, 30)),
    ]


def test_a_whole_month_costs_the_monthly_rent_whatever_its_days():
    b = booking(datetime.date(2027, 1, 31), datetime.date(2027, 7, 31))
    feb = period_rent_cents(
        booking=b, start=datetime.date(2027, 1, 31), end=datetime.date(2027, 2, 28)
    )
    assert feb == 70000


def test_last_month_after_notice_is_prorated_by_its_days_rounded_half_up():
    # 2 desks x $350 = $700.00 a month; the term's month Mar 10 - Apr 10 has 31 days, 9 used:
    # 70000 * 9 / 31 = 20322.58... -> 20323 cents.
    b = booking(datetime.date(2027, 1, 10), datetime.date(2027, 3, 19))
    periods = term_periods(booking=b)
    assert periods[-1] == (datetime.date(2027, 3, 10), datetime.date(2027, 3, 19))
    assert period_rent_cents(booking=b, start=periods[-1][0], end=periods[-1][1]) == 20323


def test_proration_rounding_of_an_exact_half_cent_goes_up():
    # $0.31/desk, 1 desk: 31 cents a month; Feb 1 - Mar 1 2027 has 28 days; 14 used -> 15.5 -> 16.
    b = booking(datetime.date(2027, 2, 1), datetime.date(2027, 2, 15), price="0.31", desks=1)
    assert period_rent_cents(booking=b, start=datetime.date(2027, 2, 1), end=b.end) == 16
