"""golive's payment rows: rent is charged with these keys, and Stripe's events reach us."""

from django.conf import settings

from pivotdesk.readiness import BLOCKER, OK, Row


def check_stripe_keys() -> Row:
    """Missing keys, test keys or a fake Stripe block."""
    secret, public = settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY
    if not secret or not public:
        return Row("Stripe keys", BLOCKER, "set STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY")
    if not secret.startswith(("sk_live_", "rk_live_")) or not public.startswith("pk_live_"):
        return Row("Stripe keys", BLOCKER, "test keys: set the live keys from the dashboard")
    if settings.STRIPE_API_BASE:
        return Row("Stripe keys", BLOCKER, f"STRIPE_API_BASE={settings.STRIPE_API_BASE}: unset it")
    return Row("Stripe keys", OK, "live keys, api.stripe.com")


def check_stripe_webhook() -> Row:
    if not settings.STRIPE_WEBHOOK_SECRET.startswith("whsec_"):
        return Row(
            "Stripe webhook",
            BLOCKER,
            "set STRIPE_WEBHOOK_SECRET (whsec_...) from the endpoint for /payments/stripe/webhook/",
        )
    return Row("Stripe webhook", OK, "signing secret set")


def golive_rows() -> list[Row]:
    return [check_stripe_keys(), check_stripe_webhook()]
