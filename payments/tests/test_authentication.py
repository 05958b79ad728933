"""A month's rent whose card needs the guest's bank (3-D Secure) off-session: the charge is
left due on that PaymentIntent, the guest is emailed once a link to a page where Stripe.js
completes that same PaymentIntent, and it is recorded paid once (page, webhook or worker),
never with a second PaymentIntent. Against localstripe: its card 4000 0027 6000 3184 asks
for authentication on every payment, and its ``_authenticate`` endpoint is what its
Stripe.js calls in ``confirmCardPayment``."""

import datetime
import json
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest
import requests
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from payments.collect import booking_collect, charge_attempt, charge_intent_cancel, charge_rent
from payments.models import Charge
from payments.selectors import booking_payment_state
from payments.services import booking_release_unpaid

from .helpers import running_booking, save_card
from .localstripe import CARD_AUTHENTICATION_REQUIRED
from .test_webhooks import post, sign

pytestmark = pytest.mark.django_db(transaction=True)
# Headers that belong to one hop, not to the request or answer relayed.
HOP = {"host", "connection", "keep-alive", "content-length", "transfer-encoding"}


def intents(localstripe) -> list[dict]:
    return localstripe.get("/v1/payment_intents", limit=100)["data"]


def emails(kind: str) -> list:
    return [m for m in mail.outbox if m.subject.startswith(kind)]


@pytest.fixture
def waiting(localstripe, run_jobs):
    """A running booking ($700 a month, no deposit) whose first month's PaymentIntent waits
    for the guest's bank, the emails sent."""
    booking = running_booking(started_days_ago=3, months=3, deposit=0)
    save_card(localstripe, booking.guest, CARD_AUTHENTICATION_REQUIRED)
    booking_collect(booking_id=booking.pk, today=booking.start)
    run_jobs()
    return Charge.objects.get(booking=booking)


def pay_page(client, charge):
    return client.get(reverse("payments:pay", kwargs={"pk": charge.pk}))


def test_a_payment_needing_the_bank_is_due_and_the_guest_gets_the_link_once(
    localstripe, waiting, run_jobs
):
    (intent,) = intents(localstripe)
    assert intent["status"] == "requires_action"
    assert waiting.status == Charge.Status.DUE and waiting.needs_authentication
    assert waiting.payment_intent_id == intent["id"]
    assert "confirm this payment" in waiting.last_error
    assert booking_payment_state(booking=waiting.booking) == "due"

    (email,) = emails("Payment due: confirm it with your bank")
    assert email.to == [waiting.booking.guest.email]
    assert f"/payments/invoices/{waiting.pk}/pay/" in email.body
    assert emails("Payment due: update your card") == []  # no card problem to fix
    (host_email,) = emails("Payment due on booking")
    assert host_email.to == [waiting.booking.listing.host.email]
    assert "bank asks them to confirm it" in host_email.body

    # The daily runs, a new card's retry: no second PaymentIntent, no second email.
    later = timezone.localdate() + datetime.timedelta(days=6)
    charge_rent(today=later)
    charge_attempt(charge_id=waiting.pk)
    save_card(localstripe, waiting.booking.guest, CARD_AUTHENTICATION_REQUIRED)
    run_jobs()
    assert [i["id"] for i in intents(localstripe)] == [intent["id"]]
    assert len(emails("Payment due: confirm it with your bank")) == 1
    waiting.refresh_from_db()
    assert (waiting.status, waiting.next_attempt_at) == (Charge.Status.DUE, None)


def test_the_booking_page_links_the_guest_to_it(client, localstripe, waiting):
    link = f'<a href="/payments/invoices/{waiting.pk}/pay/">Confirm the payment</a>'
    client.force_login(waiting.booking.guest)
    assert link in client.get(waiting.booking.get_absolute_url()).content.decode()
    client.force_login(waiting.booking.listing.host)
    page = client.get(waiting.booking.get_absolute_url()).content.decode()
    assert "Payment due: Your bank asks you to confirm this payment." in page
    assert link not in page


def test_the_guest_confirms_that_same_payment_on_the_page(client, localstripe, waiting, run_jobs):
    client.force_login(waiting.booking.guest)
    page = pay_page(client, waiting)
    assert page.status_code == 200
    body = page.content.decode()
    secret = body.split('data-client-secret="')[1].split('"')[0]
    assert secret.startswith(f"{waiting.payment_intent_id}_secret_")
    assert f'src="{localstripe.base}/js.stripe.com/v3/"' in body
    assert "Payment due: waiting for your bank" in body
    assert f"script-src 'self' {localstripe.base}" in page.headers["Content-Security-Policy"]

    # Posting before the bank's check records nothing.
    client.post(reverse("payments:pay", kwargs={"pk": waiting.pk}))
    waiting.refresh_from_db()
    assert waiting.status == Charge.Status.DUE

    assert localstripe.authenticate_payment(secret)["status"] == "succeeded"
    response = client.post(reverse("payments:pay", kwargs={"pk": waiting.pk}))
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Charge.Status.PAID and waiting.paid_at is not None
    body = client.get(response["Location"]).content.decode()
    assert "your payment went through" in body
    assert '<dd class="pay-status">Paid,' in body and "data-client-secret" not in body

    # Stripe's webhook for it, and a second post, change nothing.
    event = {
        "id": "evt_3ds",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": localstripe.get(f"/v1/payment_intents/{waiting.payment_intent_id}")},
    }
    payload = json.dumps(event).encode()
    assert post(client, payload, sign(payload)).content == b"already paid"
    client.post(reverse("payments:pay", kwargs={"pk": waiting.pk}))
    run_jobs()
    assert len([m for m in mail.outbox if waiting.number in m.subject]) == 1  # one receipt
    assert [i["id"] for i in intents(localstripe)] == [waiting.payment_intent_id]
    charges = localstripe.get("/v1/charges", limit=100)["data"]
    assert [c["amount"] for c in charges if c["status"] == "succeeded"] == [70000]


def test_the_webhook_alone_records_the_payment_and_the_page_shows_it(client, localstripe, waiting):
    intent = localstripe.get(f"/v1/payment_intents/{waiting.payment_intent_id}")
    localstripe.authenticate_payment(intent["client_secret"])
    event = {
        "id": "evt_3ds_only",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": localstripe.get(f"/v1/payment_intents/{waiting.payment_intent_id}")},
    }
    payload = json.dumps(event).encode()
    assert post(client, payload, sign(payload)).content == b"paid"
    client.force_login(waiting.booking.guest)
    body = pay_page(client, waiting).content.decode()
    assert '<dd class="pay-status">Paid,' in body and "data-client-secret" not in body


def test_the_page_records_a_payment_whose_webhook_was_lost(client, localstripe, waiting):
    intent = localstripe.get(f"/v1/payment_intents/{waiting.payment_intent_id}")
    localstripe.authenticate_payment(intent["client_secret"])
    client.force_login(waiting.booking.guest)
    assert "Paid," in pay_page(client, waiting).content.decode()
    waiting.refresh_from_db()
    assert waiting.status == Charge.Status.PAID


def test_a_failed_check_leaves_the_payment_due(client, localstripe, waiting):
    intent = localstripe.get(f"/v1/payment_intents/{waiting.payment_intent_id}")
    localstripe.authenticate_payment(intent["client_secret"], success=False)
    client.force_login(waiting.booking.guest)
    client.post(reverse("payments:pay", kwargs={"pk": waiting.pk}))
    waiting.refresh_from_db()
    assert waiting.needs_authentication
    assert "waiting for your bank" in pay_page(client, waiting).content.decode()


def test_only_the_guest_sees_the_page(client, localstripe, waiting):
    url = reverse("payments:pay", kwargs={"pk": waiting.pk})
    assert client.get(url).status_code == 302  # log in first
    for user in (waiting.booking.listing.host, UserFactory(), UserFactory(is_superuser=True)):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    client.force_login(waiting.booking.guest)
    for forged in (waiting.pk + 1000, 0):
        assert client.get(reverse("payments:pay", kwargs={"pk": forged})).status_code == 404
    assert client.get(f"/payments/invoices/{'9' * 30}/pay/").status_code == 404


def test_a_charge_without_a_payment_intent_has_no_page(client, localstripe):
    booking = running_booking(started_days_ago=3, months=3, deposit=0)
    booking_collect(booking_id=booking.pk, today=booking.start)  # no card: due, no intent
    charge = Charge.objects.get(booking=booking)
    client.force_login(booking.guest)
    assert charge.status == Charge.Status.DUE and not charge.needs_authentication
    assert pay_page(client, charge).status_code == 404


class StripeShapedRelay(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A loopback relay to localstripe that answers an off-session PaymentIntent needing
    authentication as Stripe does, and localstripe does not: HTTP 402, a card error with
    code ``authentication_required`` and the PaymentIntent inside it (Stripe's documented
    error body). Everything else, and the PaymentIntent itself, stays localstripe's."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: str):
        self.upstream = upstream
        super().__init__(("127.0.0.1", 0), StripeShapedHandler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class StripeShapedHandler(BaseHTTPRequestHandler):
    def _relay(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["Accept-Encoding"] = "identity"
        answer = requests.request(
            self.command, self.server.upstream + self.path, headers=headers, data=body, timeout=10
        )
        status, content = answer.status_code, answer.content
        made = self.command == "POST" and self.path.split("?")[0] == "/v1/payment_intents"
        if made and answer.json().get("status") == "requires_action":
            intent = {**answer.json(), "status": "requires_payment_method"}
            error = {
                "type": "card_error",
                "code": "authentication_required",
                "decline_code": "authentication_required",
                "message": "Your card was declined. This transaction requires authentication.",
                "payment_intent": intent,
            }
            status, content = 402, json.dumps({"error": error}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_DELETE = _relay

    def log_message(self, *args):
        pass


def test_stripe_s_authentication_required_decline_leads_to_the_same_page(
    client, localstripe, settings
):
    booking = running_booking(started_days_ago=3, months=3, deposit=0)
    save_card(localstripe, booking.guest, CARD_AUTHENTICATION_REQUIRED)
    relay = StripeShapedRelay(localstripe.base)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    try:
        settings.STRIPE_API_BASE = relay.base
        booking_collect(booking_id=booking.pk, today=booking.start)
    finally:
        relay.shutdown()
        relay.server_close()
        settings.STRIPE_API_BASE = localstripe.base
    charge = Charge.objects.get(booking=booking)
    (intent,) = intents(localstripe)
    assert charge.needs_authentication and charge.payment_intent_id == intent["id"]
    assert charge.next_attempt_at is None
    client.force_login(booking.guest)
    body = pay_page(client, charge).content.decode()
    secret = body.split('data-client-secret="')[1].split('"')[0]
    localstripe.authenticate_payment(secret)
    client.post(reverse("payments:pay", kwargs={"pk": charge.pk}))
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID


def test_a_released_booking_cancels_the_payment_that_waited_for_the_bank(
    localstripe, waiting, run_jobs, client
):
    week_ago = timezone.now() - datetime.timedelta(days=8)
    Charge.objects.filter(pk=waiting.pk).update(first_failed_at=week_ago)
    booking = waiting.booking
    booking_release_unpaid(booking=booking, host=booking.listing.host)
    run_jobs()
    (intent,) = intents(localstripe)
    assert intent["status"] == "canceled"  # the emailed link can take no money now
    waiting.refresh_from_db()
    assert waiting.status == Charge.Status.VOID
    client.force_login(booking.guest)
    assert intent["client_secret"] not in pay_page(client, waiting).content.decode()
    # The job again (a retry) finds it cancelled: nothing more to do, no error.
    assert charge_intent_cancel(charge_id=waiting.pk) is True


def test_a_payment_the_guest_completed_first_is_not_cancelled(localstripe, waiting):
    (intent,) = intents(localstripe)
    assert localstripe.authenticate_payment(intent["client_secret"])["status"] == "succeeded"
    Charge.objects.filter(pk=waiting.pk).update(status=Charge.Status.VOID)
    assert charge_intent_cancel(charge_id=waiting.pk) is False
    (intent,) = intents(localstripe)
    assert intent["status"] == "succeeded"  # the webhook flags it for a refund by hand
