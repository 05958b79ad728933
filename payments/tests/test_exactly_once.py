"""Exactly once per booking-month: concurrent runs, a run killed after Stripe answered, and
Stripe down or hanging during an approval."""

import datetime
import socket
import threading

import pytest
from django.core import mail
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, add_months
from bookings.tests.factories import BookingFactory
from listings.tests.factories import ListingFactory
from payments.models import Charge, Customer
from payments.services import charge_attempt, charge_intent_params, charge_rent, charges_schedule
from payments.stripe_api import stripe_client

from .helpers import running_booking, save_card
from .localstripe import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def succeeded(localstripe, customer):
    data = localstripe.get("/v1/charges", customer=customer.stripe_id, limit=100)["data"]
    return [c for c in data if c["status"] == "succeeded"]


def test_two_charge_rent_runs_at_once_charge_each_booking_month_once(localstripe):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SKIP LOCKED): set DATABASE_URL (CI does)")
    bookings = [running_booking(started_days_ago=65, months=6) for _ in range(3)]
    customers = [save_card(localstripe, b.guest) for b in bookings]
    today = timezone.localdate()
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            charge_rent(today=today)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    for booking, customer in zip(bookings, customers, strict=True):
        # Started 65 days ago: periods 0, 1 and 2 are owed, each charged once.
        assert Charge.objects.filter(booking=booking).paid().count() == 3
        assert len(succeeded(localstripe, customer)) == 3


def test_a_run_killed_after_stripe_answered_is_recorded_not_charged_again(localstripe):
    booking = running_booking(started_days_ago=3, months=2, deposit=0)
    customer = save_card(localstripe, booking.guest)
    (charge,) = charges_schedule(booking=booking, today=timezone.localdate())
    # The dead run: the row was committed, Stripe charged, and the process died before
    # recording the answer (nothing of its transaction committed).
    intent = stripe_client().v1.payment_intents.create(
        params=charge_intent_params(charge=charge, customer=customer),
        options={"idempotency_key": charge.idempotency_key},
    )
    assert intent.status == "succeeded"
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PENDING

    charge_rent()  # the rerun
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    assert charge.payment_intent_id == intent.id
    assert len(succeeded(localstripe, customer)) == 1


def approve_through_the_site(client, booking):
    client.force_login(booking.listing.host)
    return client.post(reverse("bookings:approve", args=[booking.pk]))


@pytest.fixture
def hanging_server():
    """A TCP server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for sock in held:
        sock.close()
    listener.close()


@pytest.mark.parametrize("outage", ["stopped", "hanging"])
def test_stripe_down_approval_commits_payment_due_then_paid(
    outage, localstripe, hanging_server, settings, client, run_jobs
):
    listing = ListingFactory(deposit_months=1)
    booking = BookingFactory(listing=listing, desks=1, months=2)
    customer = save_card(localstripe, booking.guest)
    settings.STRIPE_API_BASE = (
        f"http://127.0.0.1:{free_port()}" if outage == "stopped" else hanging_server
    )
    settings.STRIPE_TIMEOUT_S = 0.5

    response = approve_through_the_site(client, booking)
    assert response.status_code == 302
    run_jobs()
    booking.refresh_from_db()
    charge = Charge.objects.get(booking=booking)
    assert booking.status == Booking.Status.APPROVED
    assert charge.status == Charge.Status.DUE
    assert "unavailable" in charge.last_error
    assert any(m.subject.startswith("Payment due") for m in mail.outbox)

    settings.STRIPE_API_BASE = localstripe.base  # Stripe is back; the day-1 retry pays
    charge_attempt(charge_id=charge.pk, now=charge.next_attempt_at)
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    assert [c["amount"] for c in succeeded(localstripe, customer)] == [70000]
    assert Customer.objects.count() == 1


def test_nothing_is_charged_for_a_month_that_has_not_come(localstripe):
    start = timezone.localdate() - datetime.timedelta(days=10)
    booking = running_booking(started_days_ago=10, months=3)
    save_card(localstripe, booking.guest)
    charge_rent()
    charge_rent(today=add_months(start, 1) - datetime.timedelta(days=1))
    assert list(Charge.objects.values_list("period_start", flat=True)) == [start]
    assert booking.pk
