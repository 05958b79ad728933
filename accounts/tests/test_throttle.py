"""Guessing passwords is throttled (django-axes): per account, per client address."""

import socket
from datetime import timedelta

import pytest
from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from accounts.tests.conftest import PASSWORD
from accounts.tests.factories import UserFactory
from accounts.throttle import LoginThrottleBackend, client_ip, login_username

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT
LOCKED = "Too many login attempts"


def _login(client, email, password, url=None, ip="198.51.100.1", xff=None):
    extra = {"REMOTE_ADDR": ip}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return client.post(
        url or reverse("accounts:login"), {"username": email, "password": password}, **extra
    )


def _logged_in(client):
    return "_auth_user_id" in client.session


def test_settings_match_the_policy():
    assert 3 <= LIMIT <= 10
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AUTHENTICATION_BACKENDS[0] == "accounts.throttle.LoginThrottleBackend"
    assert issubclass(LoginThrottleBackend, AxesStandaloneBackend)
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE


def test_wrong_passwords_lock_the_account_and_the_right_one_then_fails(client):
    user = UserFactory(email="target@example.test")
    for attempt in range(1, LIMIT):
        response = _login(client, user.email, f"guess-{attempt}")
        assert response.status_code == 200, attempt  # an ordinary form error
    assert _login(client, user.email, "last-guess").status_code == 429

    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html and "15 minutes" in html
    assert response["Retry-After"] == "900"
    assert "no-store" in response["Cache-Control"]
    assert reverse("accounts:password_reset") in html
    assert not _logged_in(client)
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_the_account_lock_holds_from_other_addresses_and_in_any_case(client):
    user = UserFactory(email="target@example.test")
    for attempt in range(LIMIT):
        _login(client, user.email.upper(), "nope", ip=f"203.0.113.{attempt + 1}")

    response = _login(client, f" {user.email} ", PASSWORD, ip="192.0.2.99")
    assert response.status_code == 429
    assert not _logged_in(client)


def test_one_address_guessing_many_accounts_is_locked_out(client):
    victims = [UserFactory() for _ in range(LIMIT)]
    for victim in victims:
        _login(client, victim.email, "password1")
    innocent = UserFactory()

    assert _login(client, innocent.email, PASSWORD).status_code == 429
    assert not _logged_in(client)
    # Someone else, elsewhere, is not affected.
    assert _login(client, innocent.email, PASSWORD, ip="192.0.2.50").status_code == 302


def test_the_lock_ends_after_the_cool_off(client):
    user = UserFactory()
    for _ in range(LIMIT):
        _login(client, user.email, "nope")
    assert _login(client, user.email, PASSWORD).status_code == 429

    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )

    assert _login(client, user.email, PASSWORD).status_code == 302
    assert _logged_in(client)


def test_a_success_resets_the_count(client):
    user = UserFactory()
    for _ in range(LIMIT - 1):
        _login(client, user.email, "nope")
    assert _login(client, user.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert _login(client, user.email, "nope").status_code == 200


@pytest.mark.parametrize("site", ["host", "admin"])
def test_admin_logins_are_throttled_too(client, site, make_host):
    user = make_host() if site == "host" else UserFactory(is_staff=True, is_superuser=True)
    url = reverse(f"{site}:login")
    for _ in range(LIMIT):
        _login(client, user.email, "nope", url=url)

    response = _login(client, user.email, PASSWORD, url=url)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not _logged_in(client)
    assert client.get(reverse(f"{site}:index")).status_code == 302


# --- the client address behind the platform router ------------------------------------


def test_the_right_most_forwarded_address_is_the_client(client):
    """The router appends the real address; what the client wrote to its left is ignored."""
    for attempt in range(LIMIT):
        forged = f"10.0.0.{attempt}, 8.8.{attempt}.8"
        _login(client, f"user{attempt}@example.test", "nope", xff=f"{forged}, 203.0.113.77")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.77"}
    innocent = UserFactory()
    # Same router hop (REMOTE_ADDR), same client: locked, whatever it forges.
    locked = _login(client, innocent.email, PASSWORD, xff="192.0.2.1, 203.0.113.77")
    assert locked.status_code == 429
    # Another client behind the same router: not locked.
    response = _login(client, innocent.email, PASSWORD, xff="203.0.113.78")
    assert response.status_code == 302


def _request(remote="10.1.1.1", xff=None):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().post("/accounts/login/", **extra)


@pytest.mark.parametrize(
    ("count", "xff", "expected"),
    [
        (1, None, "10.1.1.1"),
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (1, "1.2.3.4,203.0.113.5 ", "203.0.113.5"),
        (2, "1.2.3.4, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "203.0.113.5", "10.1.1.1"),  # fewer hops than trusted proxies
        (1, "not-an-ip", "10.1.1.1"),
        (1, "1.2.3.4, <script>", "10.1.1.1"),
        (0, "1.2.3.4", "10.1.1.1"),  # no trusted proxy: the header is ignored
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, count, xff, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(xff=xff)) == expected


def test_login_username_is_normalised():
    assert login_username(_request(), {"username": "  Host@Example.TEST "}) == "host@example.test"
    request = RequestFactory().post("/", {"username": "A@B.test"})
    assert login_username(request) == "a@b.test"
    assert login_username(_request(), None) == ""


def test_logins_without_a_request_are_not_web_logins(client):
    """The test client's login() has no client address; it is let through, not throttled."""
    user = UserFactory()
    assert client.login(username=user.email, password=PASSWORD)
    assert not client.login(username=user.email, password="wrong")
    assert not AccessAttempt.objects.exists()


# --- look-alike spellings of one address -------------------------------------------------

LOOK_ALIKES = [
    "hoſt@pivotdeſk.teſt",
    "HOST@PIVOTDESK.TEST",
    "host@pivotdesk.test ",
    "hoſt@pivotdesk.test",
]


@pytest.mark.parametrize("spelling", LOOK_ALIKES)
def test_a_look_alike_spelling_is_the_same_account(client, spelling):
    user = UserFactory(email="host@pivotdesk.test")
    assert login_username(None, {"username": spelling}) == "host@pivotdesk.test"
    assert _login(client, spelling, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_look_alike_spellings_share_one_failure_budget(client):
    user = UserFactory(email="host@pivotdesk.test")
    spellings = [*LOOK_ALIKES, "hoſt@pivotdeſk.test", "HOſT@pivotdesk.teſt"]
    for attempt, spelling in enumerate(spellings[:LIMIT]):
        # A fresh address each time: only the account's own budget can run out.
        _login(client, spelling, "nope", ip=f"203.0.113.{attempt + 10}")

    assert _login(client, spellings[-1], PASSWORD, ip="192.0.2.77").status_code == 429
    assert _login(client, user.email, PASSWORD, ip="192.0.2.78").status_code == 429
    assert not _logged_in(client)


def test_a_dotless_i_does_not_open_a_second_account_or_budget(client):
    UserFactory(email="admin@pivotdesk.test")
    for attempt in range(LIMIT):
        _login(client, "admın@pivotdesk.test", "nope", ip=f"203.0.113.{attempt + 40}")
    assert _login(client, "admin@pivotdesk.test", PASSWORD, ip="192.0.2.79").status_code == 429


# --- sign-up and password reset: rate limits ---------------------------------------------


def _reset(client, email, ip="198.51.100.7", xff=None):
    extra = {"REMOTE_ADDR": ip}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return client.post(reverse("accounts:password_reset"), {"email": email}, **extra)


def test_password_reset_is_limited_per_email_address_with_a_429_that_says_when(
    client, settings, mailoutbox, run_jobs
):
    settings.ACCOUNT_RATE_PER_EMAIL = "3/h"
    UserFactory(email="reset@example.test")
    for attempt in range(3):
        # From a different address each time, and in look-alike spellings.
        spelling = ["reset@example.test", "RESET@example.test", "reſet@example.teſt"][attempt]
        assert _reset(client, spelling, ip=f"203.0.113.{attempt + 1}").status_code == 302
    run_jobs()
    assert len(mailoutbox) == 3

    response = _reset(client, "reset@example.test", ip="192.0.2.10")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Please try again in" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    run_jobs()
    assert len(mailoutbox) == 3
    # Another address is not affected.
    UserFactory(email="other@example.test")
    assert _reset(client, "other@example.test", ip="192.0.2.10").status_code == 302


def test_password_reset_is_limited_per_client_address(client, settings, mailoutbox):
    settings.ACCOUNT_RATE_PER_IP = "4/h"
    for attempt in range(4):
        assert _reset(client, f"someone{attempt}@example.test").status_code == 302
    response = _reset(client, "someone-else@example.test")
    assert response.status_code == 429
    assert _reset(client, "someone-else@example.test", ip="192.0.2.11").status_code == 302


def test_signup_is_limited_per_client_address(client, settings):
    settings.ACCOUNT_RATE_PER_IP = "2/h"
    data = {
        "password1": "flatirons-at-dawn-42",
        "password2": "flatirons-at-dawn-42",
        "name": "Nia",
    }
    for attempt in range(2):
        response = client.post(
            reverse("accounts:signup"), {**data, "email": f"n{attempt}@example.test"}
        )
        assert response.status_code == 302
    response = client.post(reverse("accounts:signup"), {**data, "email": "n9@example.test"})
    assert response.status_code == 429
    assert response["Retry-After"]
    assert client.get(reverse("accounts:signup")).status_code == 200  # reading is not limited


def test_forged_forwarded_for_entries_do_not_open_fresh_budgets(client, settings):
    settings.ACCOUNT_RATE_PER_IP = "3/h"
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(3):
        # The client writes anything on the left; the router appends what it saw.
        xff = f"10.0.0.{attempt}, 198.51.100.200"
        assert _reset(client, f"x{attempt}@example.test", xff=xff).status_code == 302
    assert _reset(client, "x9@example.test", xff="10.9.9.9, 198.51.100.200").status_code == 429


def _unreachable_redis(settings):
    """The default cache on a Redis nobody listens on (a refused connection, at once), as
    production configures it: django-redis with IGNORE_EXCEPTIONS."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.25},
        },
    }


def test_sign_ups_and_resets_go_on_while_the_cache_cannot_count_them(
    client, settings, mailoutbox, run_jobs, caplog
):
    settings.ACCOUNT_RATE_PER_IP = "1/h"
    settings.ACCOUNT_RATE_PER_EMAIL = "1/h"
    _unreachable_redis(settings)
    data = {"password1": "flatirons-at-dawn-42", "password2": "flatirons-at-dawn-42"}
    for n in range(3):  # over both budgets, were they counted
        response = client.post(
            reverse("accounts:signup"), {**data, "name": "Nia", "email": f"n{n}@example.test"}
        )
        assert response.status_code == 302, response.content.decode()[:500]
        assert _reset(client, "n0@example.test").status_code == 302
    run_jobs()
    assert len(mailoutbox) == 6  # three sign-up links, three reset links
    assert "not counted (the cache is unreachable)" in caplog.text


def test_an_operator_may_refuse_what_cannot_be_counted(client, settings):
    settings.RATELIMIT_FAIL_OPEN = False
    _unreachable_redis(settings)
    response = _reset(client, "n0@example.test")
    assert response.status_code == 429
    assert response["Retry-After"]


def test_counting_fails_open_by_default():
    from pivotdesk.settings import base

    assert base.RATELIMIT_FAIL_OPEN is True
