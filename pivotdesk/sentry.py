"""Sentry error reporting, started from settings only when SENTRY_DSN is set."""

from urllib.parse import urlsplit, urlunsplit

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_script_prefix
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.utils import BadDsn, Dsn

from .requestlog import masked_path


def mask_secrets(event, hint):
    """``before_send``: the secret parts of URLs (a password reset's token, see
    pivotdesk.requestlog.SECRET_URL_PARTS) masked in the request URL and the Referer."""
    request = event.get("request") or {}
    headers = request.get("headers") or {}
    for place, name in [
        (request, "url"),
        *((headers, n) for n in headers if n.lower() == "referer"),
    ]:
        parts = urlsplit(place.get(name) or "")
        masked = masked_path(parts.path, get_script_prefix())
        place[name] = urlunsplit((parts.scheme, parts.netloc, masked, parts.query, parts.fragment))
    return event


def sentry_init(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float
) -> None:
    """Start the SDK. No PII leaves the dyno: no cookies, user, IP, request bodies or locals.

    Frame locals and POST bodies are where e-mail addresses and phone numbers sit (sign-up,
    booking messages), so they are not sent; stack traces and the URL (masked) still are.
    """
    try:
        Dsn(dsn)
    except BadDsn as exc:
        raise ImproperlyConfigured(f"SENTRY_DSN is not a valid Sentry DSN: {exc}") from exc
    if not 0.0 <= traces_sample_rate <= 1.0:
        raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1.")
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=mask_secrets,
    )
