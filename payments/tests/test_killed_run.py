"""A real ``manage.py charge_rent`` process killed between Stripe's answer and our record:
the rerun records the charge Stripe made and never charges the month again."""

import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest
import requests
from django.db import connection, transaction

from payments.collect import charge_rent
from payments.models import Charge
from pivotdesk.tests.support import BASE_DIR, postgres_url, with_database

from .helpers import running_booking, save_card
from .localstripe import PUBLISHABLE_KEY, SECRET_KEY

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Headers that belong to one hop, not to the request or answer relayed.
HOP = {"host", "connection", "keep-alive", "content-length", "transfer-encoding"}


class KillingRelay(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A loopback HTTP relay to localstripe. When localstripe has answered a PaymentIntent
    create, the process in ``victim`` is killed (SIGKILL) before that answer is relayed:
    Stripe charged, and the caller never heard it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.victim: subprocess.Popen | None = None
        self.victim_known = threading.Event()
        self.killed_after: dict | None = None
        super().__init__(("127.0.0.1", 0), RelayHandler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class RelayHandler(BaseHTTPRequestHandler):
    def _relay(self):
        relay: KillingRelay = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["Accept-Encoding"] = "identity"
        answer = requests.request(
            self.command, relay.upstream + self.path, headers=headers, data=body, timeout=10
        )
        if self.command == "POST" and self.path.split("?")[0] == "/v1/payment_intents":
            relay.victim_known.wait(timeout=30)
            relay.killed_after = answer.json()
            os.kill(relay.victim.pid, signal.SIGKILL)
            self.close_connection = True
            return  # the answer dies with the process that asked
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in HOP | {"content-encoding"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = do_DELETE = _relay

    def log_message(self, *args):
        pass


@pytest.fixture
def killing_relay(localstripe):
    relay = KillingRelay(localstripe.base)
    thread = threading.Thread(target=relay.serve_forever, daemon=True)
    thread.start()
    yield relay
    relay.shutdown()
    relay.server_close()


def charge_rent_process(relay: KillingRelay, tmp_path) -> subprocess.Popen:
    """``manage.py charge_rent`` on the test database, its Stripe through the relay."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pivotdesk.settings.test",
        "DATABASE_URL": with_database(postgres_url(), connection.settings_dict["NAME"]),
        "STRIPE_API_BASE": relay.base,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "STRIPE_TIMEOUT_S": "20",
    }
    log = open(tmp_path / "charge_rent.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "manage.py", "charge_rent"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    relay.victim = process
    relay.victim_known.set()
    return process


def unlocked(charge: Charge, timeout: float = 20) -> None:
    """Wait until the killed process's transaction is gone (its row lock released)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with transaction.atomic():
            if Charge.objects.select_for_update(skip_locked=True).filter(pk=charge.pk).exists():
                return
        time.sleep(0.1)
    raise AssertionError("the killed run's row lock was never released")


def test_a_charge_rent_process_killed_after_stripe_charged_is_recorded_once(
    localstripe, killing_relay, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("a charge_rent process shares only a PostgreSQL test database")
    booking = running_booking(started_days_ago=3, months=2, deposit=1)
    customer = save_card(localstripe, booking.guest)

    process = charge_rent_process(killing_relay, tmp_path)
    process.wait(timeout=60)
    log = (tmp_path / "charge_rent.log").read_text()
    assert process.returncode == -signal.SIGKILL, log
    intent = killing_relay.killed_after
    assert intent is not None and intent["status"] == "succeeded"
    # Stripe charged; our process died before recording it.
    charge = Charge.objects.get(booking=booking)
    assert charge.status == Charge.Status.PENDING
    assert charge.payment_intent_id == ""
    assert intent["metadata"]["charge_id"] == str(charge.pk)

    unlocked(charge)
    charge_rent()  # the rerun, against localstripe directly
    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    assert charge.payment_intent_id == intent["id"]
    # Exactly one succeeded PaymentIntent at Stripe for this charge: the one the killed
    # run made (each of localstripe's charges names its PaymentIntent).
    charges = localstripe.get("/v1/charges", customer=customer.stripe_id, limit=100)["data"]
    succeeded = [c for c in charges if c["status"] == "succeeded"]
    assert [(c["payment_intent"], c["amount"]) for c in succeeded] == [
        (intent["id"], charge.amount_cents)
    ]
    assert localstripe.get(f"/v1/payment_intents/{intent['id']}")["status"] == "succeeded"
