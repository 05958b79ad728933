"""Money arithmetic for rent: integer cents, one rounding rule.

Rounding: every fraction of a cent is rounded half up (0.5 cent -> 1 cent), once, at the
last step. A prorated month is ``monthly * days_used / days_in_that_month_of_the_term``
(the term's month: from its anniversary to the next one), rounded half up.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from bookings.models import Booking, add_months


def dollars_to_cents(amount: Decimal) -> int:
    """The one place a price in dollars (a Decimal) becomes integer cents."""
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cents_to_text(cents: int) -> str:
    """$1,234.56 for a person to read."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator for non-negative integers, rounded half up."""
    return (2 * numerator + denominator) // (2 * denominator)


def monthly_rent_cents(*, booking: Booking) -> int:
    return dollars_to_cents(booking.price_per_desk) * booking.desks


def fee_cents(*, rent_cents: int, percent: int) -> int:
    return divide_half_up(rent_cents * percent, 100)


def term_periods(*, booking: Booking) -> list[tuple[datetime.date, datetime.date]]:
    """The booking's rent periods [start, end): one per monthly anniversary of ``start``
    (each counted from ``start``, so a 31st stays the month's last day), the last one cut
    at ``booking.end`` (after notice)."""
    periods = []
    k = 0
    while (start := add_months(booking.start, k)) < booking.end:
        periods.append((start, min(add_months(booking.start, k + 1), booking.end)))
        k += 1
    return periods


def period_rent_cents(*, booking: Booking, start: datetime.date, end: datetime.date) -> int:
    """Rent for [start, end): a whole term month costs the monthly rent; a shorter last
    period costs its share of that month's days, rounded half up."""
    monthly = monthly_rent_cents(booking=booking)
    index = (start.year - booking.start.year) * 12 + start.month - booking.start.month
    full_end = add_months(booking.start, index + 1)
    if end >= full_end:
        return monthly
    return divide_half_up(monthly * (end - start).days, (full_end - start).days)


def refund_split(*, refunded_cents: int, rent_cents: int, deposit_cents: int, fee_cents: int):
    """How a charge's refunded total reads in the host's ledger: (rent, fee, deposit) given
    back. A refund comes out of the rent first, then the deposit; the platform returns its fee on
    the rent refunded, in proportion, rounded half up (a full refund returns all of it)."""
    rent = min(refunded_cents, rent_cents)
    deposit = min(refunded_cents - rent, deposit_cents)
    fee = divide_half_up(fee_cents * rent, rent_cents) if rent_cents else 0
    return rent, fee, deposit


def refund_part(
    *, before_cents: int, amount_cents: int, rent_cents: int, deposit_cents: int, fee_cents: int
) -> tuple[int, int, int]:
    """One of a charge's refunds in the host's ledger: (rent, fee, deposit) it adds, after
    ``before_cents`` refunded by the charge's earlier refunds — ``refund_split`` of the total
    through it less that of the total before it (each at most the charge's amount), so the
    parts of all its refunds add up to the split of the charge's refunded total."""

    def split(refunded: int) -> tuple[int, int, int]:
        return refund_split(
            refunded_cents=min(refunded, rent_cents + deposit_cents),
            rent_cents=rent_cents,
            deposit_cents=deposit_cents,
            fee_cents=fee_cents,
        )

    through, until = split(before_cents + amount_cents), split(before_cents)
    rent, fee, deposit = (a - b for a, b in zip(through, until, strict=True))
    return rent, fee, deposit
