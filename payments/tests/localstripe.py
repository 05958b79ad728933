"""localstripe (a real, stateful fake Stripe) on a free loopback port, for tests."""

import socket
import subprocess
import sys
import time

import requests

SECRET_KEY = "sk_test_localstripe"
PUBLISHABLE_KEY = "pk_test_localstripe"
WEBHOOK_SECRET = "whsec_localstripe_tests"
CARD_OK = "4242424242424242"
CARD_DECLINED_ON_CHARGE = "4000000000000341"  # saves, then every charge is declined
# The bank asks for 3-D Secure on saving and on every payment, off-session ones included
# (localstripe's list: resources.PaymentMethod._requires_authentication).
CARD_AUTHENTICATION_REQUIRED = "4000002760003184"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStripe:
    def __init__(self):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{self.base}/js.stripe.com/v3/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.1)

    def reset(self) -> None:
        requests.delete(f"{self.base}/_config/data", timeout=5).raise_for_status()

    def webhook(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        requests.post(
            f"{self.base}/_config/webhooks/pivotdesk",
            json={"url": url, "secret": secret},
            timeout=5,
        ).raise_for_status()

    def confirm_setup(self, client_secret: str, number: str = CARD_OK) -> dict:
        """What Stripe.js (Elements) does in the browser: confirm the SetupIntent with the
        card, authenticated by the publishable key."""
        seti = client_secret.split("_secret_")[0]
        response = requests.post(
            f"{self.base}/v1/setup_intents/{seti}/confirm",
            json={
                "key": PUBLISHABLE_KEY,
                "client_secret": client_secret,
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"},
                },
            },
            timeout=5,
        )
        intent = response.json()
        if intent.get("status") == "requires_action":
            # The bank's check, passed in Stripe.js's 3-D Secure window: confirmed again.
            response = requests.post(
                f"{self.base}/v1/setup_intents/{seti}/confirm",
                json={"key": PUBLISHABLE_KEY, "client_secret": client_secret},
                timeout=5,
            )
            intent = response.json()
        return intent

    def authenticate_payment(self, client_secret: str, *, success: bool = True) -> dict:
        """What ``stripe.confirmCardPayment`` does in the browser with localstripe's Stripe.js:
        the guest passes (or fails) the bank's check on a PaymentIntent waiting for it."""
        intent = client_secret.split("_secret_")[0]
        response = requests.post(
            f"{self.base}/v1/payment_intents/{intent}/_authenticate",
            params={"success": "true" if success else "false"},
            json={"key": PUBLISHABLE_KEY, "client_secret": client_secret},
            timeout=5,
        )
        return response.json()

    def get(self, path: str, **params) -> dict:
        response = requests.get(
            f"{self.base}{path}", params=params, auth=(SECRET_KEY, ""), timeout=5
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
