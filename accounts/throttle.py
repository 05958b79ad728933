"""Who is trying to log in: the client address and account django-axes counts failures for."""

import functools
import ipaddress
import logging

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django_ratelimit.core import get_usage

from .models import canonical_email

log = logging.getLogger(__name__)


def _valid_ip(value: str) -> str | None:
    value = (value or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address as seen by the right-most trusted proxy.

    The platform router appends the address that connected to it to ``X-Forwarded-For``;
    anything to the left of that was written by the client and can be forged. With
    ``TRUSTED_PROXY_COUNT = n`` the n-th entry from the right is the client. A header with
    fewer entries than that, a garbage entry, or ``n = 0`` falls back to ``REMOTE_ADDR``.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    count = settings.TRUSTED_PROXY_COUNT
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not header:
        return remote
    hops = [hop.strip() for hop in header.split(",")]
    if len(hops) < count:
        return remote
    return _valid_ip(hops[-count]) or remote


def login_username(request, credentials=None) -> str:
    """The login name axes counts failures for: the email in its canonical form.

    ``Host@Example.test``, ``host@example.test `` and ``hoſt@example.teſt`` are the same
    account, so they share one failure count.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "POST", {}).get(field)
    return canonical_email(value)[:255]


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets: HTTP 429, what happened, when to retry."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    response = render(
        request,
        "accounts/lockout.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "cooloff_minutes": max(1, round(seconds / 60)) if seconds else None,
        },
        status=429,
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    add_never_cache_headers(response)
    return response


def _by_ip(group, request) -> str:
    return client_ip(request) or "unknown"


def _by_email(group, request) -> str:
    return canonical_email(request.POST.get("email"))[:255]


def seconds_to_wait(request, *, group: str, key, rate: str) -> int:
    """Count this request against ``rate`` ("N/s|m|h|d", django-ratelimit's rates, in the
    default cache) for ``key`` (a django-ratelimit key: "user", "ip" or a callable) and
    return how long the client must wait: 0 while within it.

    A count the cache cannot keep (Redis unreachable) lets the request through
    (``RATELIMIT_FAIL_OPEN``, decision 0190): sign-ups and replies keep working through an
    outage, with a warning in the log; logins stay counted by django-axes in the database.
    """
    usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    if usage is None:
        log.warning("rate %s not counted (the cache is unreachable): let through", group)
        return 0
    return int(usage["time_left"]) if usage["should_limit"] else 0


def rate_limit(group: str):
    """Limit a form's POSTs per client address and per posted email address.

    The budgets are ``settings.ACCOUNT_RATE_PER_IP`` and ``ACCOUNT_RATE_PER_EMAIL``
    (``seconds_to_wait``). Over either, the answer is a 429 page that says when to try
    again (and ``Retry-After``); nothing is sent or saved.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                budgets = [(_by_ip, settings.ACCOUNT_RATE_PER_IP)]
                if request.POST.get("email"):
                    budgets.append((_by_email, settings.ACCOUNT_RATE_PER_EMAIL))
                wait = max(
                    seconds_to_wait(request, group=group, key=key, rate=rate)
                    for key, rate in budgets
                )
                if wait:
                    return rate_limited_response(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def rate_limited_response(request, seconds: int, *, template: str = "accounts/rate_limited.html"):
    """429: too many attempts, and how long until the next one is taken (``template`` says
    it in the words of the form that was refused; it gets ``retry_minutes``)."""
    seconds = max(1, seconds)
    response = render(request, template, {"retry_minutes": max(1, -(-seconds // 60))}, status=429)
    response["Retry-After"] = str(seconds)
    add_never_cache_headers(response)
    return response


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' standalone backend, for web logins only.

    Every login view (ours, /host/ and /admin/) passes the request to ``authenticate()``, so
    each is throttled. A call without a request is not a web login — there is no client to
    count failures for (the test client's ``login()``, a shell) — and is let through to the
    next backend instead of raising ``AxesBackendRequestParameterRequired``.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
