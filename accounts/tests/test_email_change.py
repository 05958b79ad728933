"""Changing the email address: asked with the password, confirmed from the new address."""

import re
import threading

import pytest
from django.conf import settings
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.links import EMAIL_CHANGE_SALT, email_change_from_token, email_change_link_make
from accounts.models import User
from accounts.services import (
    EMAIL_SAME,
    EMAIL_TAKEN,
    user_close,
    user_email_change,
    user_email_change_request,
)
from accounts.tests.conftest import PASSWORD
from accounts.tests.factories import UserFactory
from pivotdesk.requestlog import masked_path

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "snowy-foothills-2026"


def _ask(client, email, password=PASSWORD, ip="198.51.100.30"):
    return client.post(
        reverse("accounts:email_change"),
        {"email": email, "password": password},
        REMOTE_ADDR=ip,
    )


def _confirm_link(outbox) -> str:
    (message,) = [m for m in outbox if "Confirm" in m.subject]
    url = re.search(r"https?://\S+/accounts/email/confirm/\S+/", message.body)[0]
    return url.removeprefix(settings.SITE_URL)


def _logged_in_id(client):
    return client.session.get("_auth_user_id")


# --- the whole journey ----------------------------------------------------------------


def test_changing_the_email_through_to_logging_in_with_the_new_one(client, run_jobs):
    user = UserFactory(email="old@example.test", name="Oli")
    client.force_login(user)

    response = _ask(client, " New@Example.TEST")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    user.refresh_from_db()
    assert user.email == "old@example.test"  # nothing changes yet
    assert mail.outbox == []  # the worker sends them
    run_jobs()

    by_to = {tuple(m.to): m for m in mail.outbox}
    assert set(by_to) == {("new@example.test",), ("old@example.test",)}
    notice = by_to[("old@example.test",)]
    assert "being changed to new@example.test" in notice.body
    assert "change your password" in notice.body
    assert "/accounts/email/confirm/" not in notice.body  # no way to make the change
    confirm = by_to[("new@example.test",)]
    link = _confirm_link(mail.outbox)
    assert settings.SITE_URL + link in confirm.alternatives[0][0]

    page = client.get(link)  # a mail scanner's GET changes nothing
    assert page.status_code == 200
    assert "new@example.test" in page.content.decode()
    user.refresh_from_db()
    assert user.email == "old@example.test"

    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    user.refresh_from_db()
    assert user.email == "new@example.test"
    assert _logged_in_id(client) == str(user.pk)  # still logged in
    assert (
        "Your email address is now new@example.test."
        in client.get(reverse("accounts:profile")).content.decode()
    )

    # The old address no longer logs in; the new one does, in any spelling.
    browser = Client()
    old = browser.post(
        reverse("accounts:login"), {"username": "old@example.test", "password": PASSWORD}
    )
    assert old.status_code == 200 and _logged_in_id(browser) is None
    new = browser.post(
        reverse("accounts:login"), {"username": "NEW@example.test", "password": PASSWORD}
    )
    assert new.status_code == 302 and _logged_in_id(browser) == str(user.pk)

    # The link works once.
    again = client.post(link)
    assert again.status_code == 400
    assert "This link has expired" in again.content.decode()


def test_the_confirm_link_is_masked_in_the_request_log(run_jobs):
    user = UserFactory()
    user_email_change_request(user=user, new_email="masked@example.test")
    run_jobs()
    link = _confirm_link(mail.outbox)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert masked_path(link) == "/accounts/email/confirm/***/"
    assert token not in masked_path(link)


# --- the request --------------------------------------------------------------------------


def test_the_request_needs_the_current_password(client, run_jobs):
    user = UserFactory(email="pw@example.test")
    client.force_login(user)
    response = _ask(client, "elsewhere@example.test", password="not-my-password")
    run_jobs()
    assert response.status_code == 200
    assert "Your password was entered incorrectly" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("TAKEN@example.test", EMAIL_TAKEN),
        ("me@example.test", EMAIL_SAME),
        ("not an email", "Enter a valid email address."),
        ("x" * 300 + "@example.test", "Ensure this value has at most 254 characters"),
    ],
)
def test_the_request_refuses_taken_same_and_garbage_addresses(client, email, message, run_jobs):
    UserFactory(email="taken@example.test")
    user = UserFactory(email="me@example.test")
    client.force_login(user)
    response = _ask(client, email)
    run_jobs()
    assert response.status_code == 200
    assert message in response.content.decode()
    assert mail.outbox == []


def test_the_pages_need_a_login(client):
    response = client.get(reverse("accounts:email_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    user = UserFactory()
    path = email_change_link_make(user=user, new_email="n@example.test").removeprefix(
        settings.SITE_URL
    )
    response = client.get(path)
    assert response.status_code == 302  # to the login page, then back to the link
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_request_is_rate_limited_per_new_address(client, settings, run_jobs):
    settings.ACCOUNT_RATE_PER_EMAIL = "2/h"
    for attempt in range(2):
        user = UserFactory()
        client.force_login(user)
        assert _ask(client, "victim@example.test", ip=f"203.0.113.{attempt}").status_code == 302
    client.force_login(UserFactory())
    response = _ask(client, "VICTIM@example.test", ip="192.0.2.50")
    assert response.status_code == 429
    assert response["Retry-After"]
    run_jobs()
    assert [m.to for m in mail.outbox].count(["victim@example.test"]) == 2


def test_the_request_is_rate_limited_per_client_address(client, settings):
    settings.ACCOUNT_RATE_PER_IP = "2/h"
    user = UserFactory()
    client.force_login(user)
    for attempt in range(2):
        assert _ask(client, f"n{attempt}@example.test", password="guess").status_code == 200
    response = _ask(client, "n9@example.test")
    assert response.status_code == 429  # password guesses count too
    assert client.get(reverse("accounts:email_change")).status_code == 200


# --- links that must not work --------------------------------------------------------------


def _path(user, new_email="fresh@example.test"):
    return email_change_link_make(user=user, new_email=new_email).removeprefix(settings.SITE_URL)


@pytest.mark.parametrize(
    "token", ["garbage", "eyJ1IjoxfQ:1x:forged", "a" * 300, "%00", "..%2F..%2Fadmin"]
)
def test_a_forged_link_is_a_clear_400(client, token):
    user = UserFactory(email="f@example.test")
    client.force_login(user)
    for method in (client.get, client.post):
        response = method(reverse("accounts:email_change_confirm", args=[token]))
        assert response.status_code == 400
        assert "This link has expired" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "f@example.test"


def test_a_link_signed_for_something_else_is_refused(client):
    user = UserFactory(email="s@example.test")
    client.force_login(user)
    # A sign-in link's payload, or one with our salt but a made-up user state.
    for token in (
        signing.dumps({"u": user.pk, "l": ""}, salt="accounts.signin-link"),
        signing.dumps({"u": user.pk, "e": "x@example.test", "s": "0" * 32}, salt=EMAIL_CHANGE_SALT),
        signing.dumps({"u": "x", "e": "x@example.test"}, salt=EMAIL_CHANGE_SALT),
    ):
        response = client.post(reverse("accounts:email_change_confirm", args=[token]))
        assert response.status_code == 400
    user.refresh_from_db()
    assert user.email == "s@example.test"


def test_an_expired_link_is_refused(client, settings):
    user = UserFactory(email="e@example.test")
    client.force_login(user)
    path = _path(user)
    assert client.get(path).status_code == 200
    settings.EMAIL_CHANGE_MAX_AGE = -1
    assert client.post(path).status_code == 400
    user.refresh_from_db()
    assert user.email == "e@example.test"


def test_the_link_lasts_three_days_by_default():
    assert settings.EMAIL_CHANGE_MAX_AGE == 3 * 24 * 3600 == settings.SIGNIN_LINK_MAX_AGE


def test_another_accounts_link_is_a_404_and_changes_nothing(client):
    owner = UserFactory(email="owner@example.test")
    intruder = UserFactory(email="intruder@example.test")
    client.force_login(intruder)
    path = _path(owner, "hijack@example.test")
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 404
        assert "This link is for another account" in response.content.decode()
    owner.refresh_from_db()
    intruder.refresh_from_db()
    assert (owner.email, intruder.email) == ("owner@example.test", "intruder@example.test")


def test_a_password_change_spends_the_links_made_before_it(client):
    user = UserFactory(email="p@example.test")
    client.force_login(user)
    path = _path(user)
    client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert client.post(path).status_code == 400
    user.refresh_from_db()
    assert user.email == "p@example.test"


def test_an_email_change_spends_the_other_links_made_before_it(client):
    user = UserFactory(email="first@example.test")
    client.force_login(user)
    to_b, to_c = _path(user, "b@example.test"), _path(user, "c@example.test")
    assert client.post(to_c).status_code == 302
    assert client.post(to_b).status_code == 400
    user.refresh_from_db()
    assert user.email == "c@example.test"


def test_an_address_taken_meanwhile_is_refused_at_confirm_time(client):
    user = UserFactory(email="slow@example.test")
    client.force_login(user)
    path = _path(user, "wanted@example.test")
    UserFactory(email="wanted@example.test")  # someone signed up with it since
    response = client.post(path)
    assert response.status_code == 400
    assert EMAIL_TAKEN in response.content.decode()
    user.refresh_from_db()
    assert user.email == "slow@example.test"


def test_a_closed_accounts_link_does_not_work():
    user = UserFactory()
    token = _path(user).rstrip("/").rsplit("/", 1)[1]
    user_close(user=user)
    assert email_change_from_token(token=token) is None


# --- the service ----------------------------------------------------------------------


def test_user_email_change_is_idempotent_and_validates():
    user = UserFactory(email="i@example.test")
    user_email_change(user=user, new_email="J@example.test")
    user_email_change(user=user, new_email="j@example.test")
    assert User.objects.get(pk=user.pk).email == "j@example.test" == user.email
    with pytest.raises(ValidationError):
        user_email_change(user=user, new_email="not-an-email")
    assert User.objects.get(pk=user.pk).email == "j@example.test"


def test_user_email_change_refuses_an_address_in_another_spelling():
    UserFactory(email="host@pivotdesk.test")
    user = UserFactory(email="me@example.test")
    with pytest.raises(ValidationError) as exc:
        user_email_change(user=user, new_email="HOſT@pivotdeſk.teſt")
    assert exc.value.message_dict == {"email": [EMAIL_TAKEN]}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_accounts_confirming_one_address_at_once_get_it_once(postgres_only, round_):
    """Two members confirm links to the same new address at the same moment: the unique
    email is checked under each user's own lock, so only the database's constraint can
    decide — one wins, the other gets the form error, never a 500."""
    first, second = UserFactory(email="a1@example.test"), UserFactory(email="a2@example.test")
    barrier = threading.Barrier(2)
    outcomes = {}

    def confirm(user):
        try:
            barrier.wait(timeout=10)
            user_email_change(user=user, new_email="contested@example.test")
            outcomes[user.pk] = "done"
        except ValidationError as exc:
            outcomes[user.pk] = exc.message_dict["email"][0]
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(u,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"

    assert sorted(outcomes.values()) == sorted(["done", EMAIL_TAKEN]), outcomes
    assert User.objects.filter(email="contested@example.test").count() == 1
