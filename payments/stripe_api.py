"""The Stripe clients: keys and address from settings, and how long a call may wait.

One call waits at most ``call_worst_case_s``: each try up to ``STRIPE_TIMEOUT_S`` to connect
and as long again for the answer (requests applies the timeout to each), and before each of
the library's retries (network errors, 409 and 5xx, with an idempotency key) a backoff sleep.
stripe-python documents its retries but not its backoff; its source doubles a 0.5 s sleep up
to a ceiling of 5 s, and ``RETRY_SLEEP_MAX_S`` counts every sleep at that ceiling.

- Jobs (``payments.tasks``, the daily run) use ``stripe_client()``: the configured timeout
  and retries, however long they take; a job that fails is retried anyway.
- A web request (the card and pay pages, the webhook) uses ``stripe_request_client()``: the
  most Stripe calls one request makes (``REQUEST_CALLS_MAX``), each at its worst, fit in
  ``STRIPE_REQUEST_BUDGET_S``, well below the router's 30 s (decision 0245).

Not bounded here: a Stripe that trickles its answer byte by byte (each read waits anew) and
the address lookup: the router ends such a request at 30 s (gunicorn's ``gthread`` worker
ends no single slow request).
"""

import stripe
from django.conf import settings

# The longest backoff sleep stripe-python makes before one retry. Not documented: the
# ceiling in its source (the first sleeps are at most 0.5 s, 1 s, 2 s, 4 s).
RETRY_SLEEP_MAX_S = 5.0
# The most Stripe calls one web request makes: the card page's POST reads the SetupIntent
# and its card back, and on a failure shows the form again with a new SetupIntent.
REQUEST_CALLS_MAX = 3


def call_worst_case_s(*, timeout_s: float, retries: int) -> float:
    """The longest one call can wait on a Stripe that does not answer."""
    return 2 * timeout_s * (retries + 1) + RETRY_SLEEP_MAX_S * retries


def request_call_limits() -> tuple[float, int]:
    """The timeout and retries of a web request's Stripe call: the configured ones with as
    many retries as fit in its share of ``STRIPE_REQUEST_BUDGET_S``; when not even one try
    fits, one try with the timeout cut to fit."""
    share = settings.STRIPE_REQUEST_BUDGET_S / REQUEST_CALLS_MAX
    timeout = settings.STRIPE_TIMEOUT_S
    for retries in range(settings.STRIPE_MAX_NETWORK_RETRIES, -1, -1):
        if call_worst_case_s(timeout_s=timeout, retries=retries) <= share:
            return timeout, retries
    return share / 2, 0


def request_worst_case_s() -> float:
    """The longest a web request can wait on Stripe with these settings."""
    timeout, retries = request_call_limits()
    return REQUEST_CALLS_MAX * call_worst_case_s(timeout_s=timeout, retries=retries)


def client_with(*, timeout_s: float, retries: int) -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout_s),
    )


def stripe_client() -> stripe.StripeClient:
    """The jobs' client: the configured timeout and retries."""
    return client_with(
        timeout_s=settings.STRIPE_TIMEOUT_S, retries=settings.STRIPE_MAX_NETWORK_RETRIES
    )


def stripe_request_client() -> stripe.StripeClient:
    """A web request's client: its calls fit in ``STRIPE_REQUEST_BUDGET_S``."""
    timeout, retries = request_call_limits()
    return client_with(timeout_s=timeout, retries=retries)


def stripe_js_url() -> str:
    """Stripe.js: Stripe's own, or localstripe's mock beside a local STRIPE_API_BASE."""
    base = settings.STRIPE_API_BASE
    return f"{base.rstrip('/')}/js.stripe.com/v3/" if base else "https://js.stripe.com/v3/"


def configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)
