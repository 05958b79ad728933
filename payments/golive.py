"""golive's payment rows: rent is charged with these keys, Stripe's events reach us, and no
web request waits on Stripe until the router gives up on it."""

from django.conf import settings

from pivotdesk.readiness import BLOCKER, OK, ROUTER_TIMEOUT_S, Row

from .stripe_api import REQUEST_CALLS_MAX, request_call_limits, request_worst_case_s


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


def check_stripe_request_budget() -> Row:
    """A web request's worst wait on a Stripe that does not answer (``stripe_api``) must end
    before the router's 30 s; a budget of nothing leaves no time for any call."""
    budget = settings.STRIPE_REQUEST_BUDGET_S
    if budget <= 0:
        return Row("Stripe in a request", BLOCKER, f"STRIPE_REQUEST_BUDGET_S={budget}: set 20")
    timeout, retries = request_call_limits()
    worst = request_worst_case_s()
    detail = (
        f"{worst:.1f} s at worst: {REQUEST_CALLS_MAX} calls, each {timeout:.1f} s to connect "
        f"and {timeout:.1f} s to answer, {retries} retries"
    )
    if worst >= ROUTER_TIMEOUT_S:
        return Row(
            "Stripe in a request",
            BLOCKER,
            f"{detail}: the router ends a request at {ROUTER_TIMEOUT_S} s; "
            "lower STRIPE_REQUEST_BUDGET_S (default 20)",
        )
    return Row("Stripe in a request", OK, detail)


def golive_rows() -> list[Row]:
    return [check_stripe_keys(), check_stripe_webhook(), check_stripe_request_budget()]
