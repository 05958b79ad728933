"""The migration that gave refunds rows of their own: a charge refunded before it keeps its
invoice line (its total, its date) as one row under its latest refund's id."""

import datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from bookings.tests.factories import BookingFactory
from payments.models import Charge, ChargeRefund

pytestmark = pytest.mark.django_db

migration = import_module("payments.migrations.0003_charge_refund_lines")


def charge(**fields) -> Charge:
    booking = BookingFactory()
    return Charge.objects.create(
        booking=booking,
        period_start=booking.start,
        period_end=booking.start + datetime.timedelta(days=30),
        desks=1,
        rent_cents=35000,
        deposit_cents=35000,
        fee_cents=3500,
        **{"status": Charge.Status.PAID, **fields},
    )


def test_each_refunded_charge_gets_one_line_and_a_rerun_adds_none():
    when = timezone.now() - datetime.timedelta(days=3)
    refunded = charge(
        status=Charge.Status.REFUNDED, refunded_cents=50000, refund_id="re_1", refunded_at=when
    )
    charge()  # paid, never refunded: no line
    for _ in range(2):
        migration.one_line_per_refunded_charge(apps, None)
    (line,) = ChargeRefund.objects.all()
    assert (line.charge, line.stripe_id, line.amount_cents, line.refunded_at) == (
        refunded,
        "re_1",
        50000,
        when,
    )
