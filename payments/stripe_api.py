"""The one Stripe client: keys and address from settings, a 10 s timeout and the
library's own retries (network errors and 409/5xx, with an idempotency key)."""

import stripe
from django.conf import settings


def stripe_client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_S),
    )


def stripe_js_url() -> str:
    """Stripe.js: Stripe's own, or localstripe's mock beside a local STRIPE_API_BASE."""
    base = settings.STRIPE_API_BASE
    return f"{base.rstrip('/')}/js.stripe.com/v3/" if base else "https://js.stripe.com/v3/"


def configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)
