"""`manage.py localstripe`: for `make run` only — localstripe (a fake Stripe with a
Stripe.js mock) on STRIPE_API_BASE's port, with its webhooks sent to this site."""

import subprocess
import sys
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse


class Command(BaseCommand):
    help = "Run localstripe for development and point its webhooks at SITE_URL."

    def handle(self, *args, **options):
        base = settings.STRIPE_API_BASE
        parts = urlsplit(base)
        if not base or parts.hostname not in ("127.0.0.1", "localhost"):
            raise CommandError("Set STRIPE_API_BASE to a loopback address (make run does).")
        child = subprocess.Popen([sys.executable, "-m", "localstripe", "--port", str(parts.port)])
        try:
            url = f"{base}/_config/webhooks/pivotdesk"
            target = settings.SITE_URL + reverse("payments:stripe-webhook")
            for _ in range(100):
                try:
                    requests.post(
                        url,
                        json={"url": target, "secret": settings.STRIPE_WEBHOOK_SECRET},
                        timeout=2,
                    ).raise_for_status()
                    break
                except requests.RequestException:
                    time.sleep(0.2)
            self.stdout.write(f"localstripe on {base}; webhooks to {target}")
            child.wait()
        finally:
            child.terminate()
