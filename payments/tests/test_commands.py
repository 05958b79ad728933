import io
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
from django.conf import settings
from django.core.management import CommandError, call_command

from payments.models import Charge

from .helpers import running_booking, save_card
from .localstripe import free_port


@pytest.mark.django_db(transaction=True)
def test_charge_rent_command_charges_what_is_owed(localstripe):
    booking = running_booking(started_days_ago=35, months=3)
    save_card(localstripe, booking.guest)
    out = io.StringIO()
    call_command("charge_rent", stdout=out)
    assert out.getvalue().strip() == "2 charge(s) attempted."
    call_command("charge_rent", stdout=out)
    assert Charge.objects.paid().count() == 2


@pytest.mark.parametrize("date", ["2027-02-30", "tomorrow", "x" * 300])
def test_charge_rent_command_refuses_a_bad_date(date):
    with pytest.raises(CommandError, match="--date"):
        call_command("charge_rent", date=date)


@pytest.mark.slow
def test_localstripe_command_serves_stripe_js_and_points_webhooks_here(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "STRIPE_API_BASE": f"http://127.0.0.1:{port}",
        "STRIPE_WEBHOOK_SECRET": "whsec_dev",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "localstripe"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    ready = "webhooks to http://127.0.0.1:8000/payments/stripe/webhook/"
    try:
        deadline = time.monotonic() + 30
        while not any(ready in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            time.sleep(0.2)
        js = requests.get(f"http://127.0.0.1:{port}/js.stripe.com/v3/", timeout=5)
        assert "confirmCardSetup" in js.text
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/js.stripe.com/v3/", timeout=1)
