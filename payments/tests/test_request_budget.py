"""No web request waits on Stripe past ``STRIPE_REQUEST_BUDGET_S`` (decision 0245): the card
and pay pages and the webhook, against a Stripe that accepts connections and never answers
(a real socket of the test's own), with a timeout and retries that on their own would keep
one call waiting longer than the whole budget. Each answers within the budget, says to try
again, and leaves nothing half-saved."""

import socket
import time

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from payments.collect import booking_collect
from payments.models import Charge, Customer, WebhookEvent

from .helpers import running_booking, save_card
from .localstripe import CARD_AUTHENTICATION_REQUIRED
from .test_refund_webhook import dashboard_refund, refund_event
from .test_webhooks import post, sign

pytestmark = pytest.mark.django_db(transaction=True)

BUDGET_S = 1.2
# One call on its own: 3 tries of 0.3 s and two backoff sleeps (0.5 s, then 0.5 to 1 s).
TIMEOUT_S, RETRIES = 0.3, 2


@pytest.fixture
def silent_stripe(localstripe, settings):
    """The address of a Stripe that accepts connections and never answers. The data is made
    on localstripe first; the test then points ``STRIPE_API_BASE`` here."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # the kernel completes each connection; no one ever reads or writes
        settings.STRIPE_TIMEOUT_S = TIMEOUT_S
        settings.STRIPE_MAX_NETWORK_RETRIES = RETRIES
        settings.STRIPE_REQUEST_BUDGET_S = BUDGET_S
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_the_card_page_answers_within_the_budget_and_makes_no_customer(
    client, settings, silent_stripe
):
    settings.STRIPE_API_BASE = silent_stripe
    guest = UserFactory()
    client.force_login(guest)
    response, took = timed(lambda: client.get(reverse("payments:card")))
    assert response.status_code == 200
    assert b"not reachable right now; try again in a minute" in response.content
    assert b"data-client-secret" not in response.content
    assert took < BUDGET_S
    assert not Customer.objects.filter(user=guest).exists()


def test_saving_a_card_answers_within_the_budget_and_saves_no_card(client, settings, silent_stripe):
    guest = UserFactory()
    client.force_login(guest)
    client.get(reverse("payments:card"))  # the customer made at localstripe
    settings.STRIPE_API_BASE = silent_stripe
    # Two calls: the SetupIntent read back, then a new one for the form shown again.
    response, took = timed(
        lambda: client.post(reverse("payments:card"), {"setup_intent": "seti_123"})
    )
    assert response.status_code == 200
    assert b"not reachable right now; try again in a minute" in response.content
    assert took < BUDGET_S
    assert not Customer.objects.get(user=guest).has_card


def test_the_pay_page_answers_within_the_budget_and_leaves_the_charge_due(
    client, localstripe, settings, silent_stripe
):
    booking = running_booking(started_days_ago=3, months=3, deposit=0)
    save_card(localstripe, booking.guest, CARD_AUTHENTICATION_REQUIRED)
    booking_collect(booking_id=booking.pk, today=booking.start)
    charge = Charge.objects.get(booking=booking)
    intent_id = charge.payment_intent_id
    assert charge.needs_authentication
    settings.STRIPE_API_BASE = silent_stripe
    client.force_login(booking.guest)
    url = reverse("payments:pay", kwargs={"pk": charge.pk})
    page, took = timed(lambda: client.get(url))
    assert page.status_code == 200
    assert b"not reachable right now; try again in a minute" in page.content
    assert took < BUDGET_S
    confirmed, took = timed(lambda: client.post(url, follow=True))
    assert confirmed.status_code == 200
    assert b"not reachable right now; try again in a minute" in confirmed.content
    assert took < BUDGET_S
    charge.refresh_from_db()
    assert (charge.status, charge.payment_intent_id) == (Charge.Status.DUE, intent_id)


def test_a_refund_event_answers_503_within_the_budget_and_stores_nothing(
    client, localstripe, settings, silent_stripe
):
    booking = running_booking(started_days_ago=40, months=1)
    save_card(localstripe, booking.guest)
    booking_collect(booking_id=booking.pk, today=booking.start)
    paid = Charge.objects.get(booking=booking)
    dashboard_refund(localstripe, paid.payment_intent_id, 70000)
    payload = refund_event(localstripe, paid, kind="charge.refunded", event_id="evt_b1")
    settings.STRIPE_API_BASE = silent_stripe
    response, took = timed(lambda: post(client, payload, sign(payload)))
    assert response.status_code == 503
    assert took < BUDGET_S
    assert not WebhookEvent.objects.exists()
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_cents) == (Charge.Status.PAID, 0)
