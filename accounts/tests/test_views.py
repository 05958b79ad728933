import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from accounts.tests.conftest import PASSWORD
from accounts.tests.factories import UserFactory
from pivotdesk.tests.support import closed_port, smtp_mailers

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "snowy-foothills-2026"


def _signup_data(**overrides):
    return {
        "email": "Newbie@Example.test",
        "password1": "flatirons-at-dawn-42",
        "password2": "flatirons-at-dawn-42",
        "name": "Nia Newbie",
        "company": "Small Team Inc",
        **overrides,
    }


def _logged_in_id(client):
    return client.session.get("_auth_user_id")


# --- sign-up --------------------------------------------------------------------------


def test_signup_page_has_a_labelled_field_for_every_input(client):
    response = client.get(reverse("accounts:signup"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    for field in ("email", "password1", "password2", "name", "company"):
        assert f'<label for="id_{field}"' in html
    assert "csrfmiddlewaretoken" in html


def _signin_link(message) -> str:
    return re.search(r"https?://\S+/accounts/signin/\S+", message.body)[0]


def test_signup_creates_the_account_and_emails_a_link_that_logs_in_and_returns_to_next(
    client, run_jobs
):
    response = client.post(reverse("accounts:signup") + "?next=/spaces/boulder/", _signup_data())
    run_jobs()

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signup_sent")
    user = User.objects.get(email="newbie@example.test")
    assert (user.name, user.company, user.is_host) == ("Nia Newbie", "Small Team Inc", False)
    assert _logged_in_id(client) is None
    assert [m.to for m in mail.outbox] == [["newbie@example.test"]]

    link = _signin_link(mail.outbox[0])
    page = client.get(link)  # a mail scanner's GET logs nobody in
    assert page.status_code == 200 and _logged_in_id(client) is None
    assert "newbie@example.test" in page.content.decode()
    response = client.post(link, {"next": "/spaces/boulder/"})
    assert response.status_code == 302
    assert response["Location"] == "/spaces/boulder/"
    assert _logged_in_id(client) == str(user.pk)

    # One use only.
    other = Client()
    assert other.post(link).status_code == 400
    assert _logged_in_id(other) is None


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ:1x:forged", "a" * 300])
def test_a_forged_signin_link_is_a_clear_400(client, token):
    UserFactory()
    response = client.post(reverse("accounts:signin_link", args=[token]))
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert _logged_in_id(client) is None


def test_signup_next_travels_in_the_link(client, run_jobs):
    client.post(reverse("accounts:signup"), _signup_data(next="/accounts/profile/"))
    run_jobs()
    link = _signin_link(mail.outbox[0])
    page = client.get(link)
    assert 'value="/accounts/profile/"' in page.content.decode()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_signin_link_refuses_an_offsite_next(client, next_url, run_jobs):
    client.post(reverse("accounts:signup"), _signup_data(next=next_url))
    run_jobs()
    response = client.post(_signin_link(mail.outbox[0]), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_signup_with_a_taken_email_answers_the_same_and_mails_the_owner(client, run_jobs):
    UserFactory(email="newbie@example.test", name="Secret Name", company="Hidden Co")
    taken = client.post(reverse("accounts:signup"), _signup_data())
    run_jobs()
    new = Client().post(reverse("accounts:signup"), _signup_data(email="fresh@example.test"))
    run_jobs()

    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert User.objects.filter(email="newbie@example.test").count() == 1
    assert User.objects.get(email="newbie@example.test").name == "Secret Name"
    assert _logged_in_id(client) is None
    owner_mail, new_mail = mail.outbox
    assert owner_mail.to == ["newbie@example.test"]
    assert "already have one" in owner_mail.body
    assert "/accounts/signin/" not in owner_mail.body  # no way in for whoever typed it
    assert new_mail.to == ["fresh@example.test"]


def test_signup_with_a_look_alike_of_a_taken_email_makes_no_second_account(client, run_jobs):
    UserFactory(email="host@pivotdesk.test")
    client.post(reverse("accounts:signup"), _signup_data(email="HOſT@pivotdeſk.teſt"))
    run_jobs()
    assert list(User.objects.values_list("email", flat=True)) == ["host@pivotdesk.test"]
    assert [m.to for m in mail.outbox] == [["host@pivotdesk.test"]]


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        ("password", "password", "This password is too common."),
        ("12345678901", "12345678901", "This password is entirely numeric."),
        ("short1", "short1", "This password is too short."),
        ("flatirons-at-dawn-42", "flatirons-at-dusk-42", "The two passwords differ."),
    ],
)
def test_signup_refuses_weak_or_mismatched_passwords(client, password1, password2, message):
    response = client.post(
        reverse("accounts:signup"), _signup_data(password1=password1, password2=password2)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="newbie@example.test").exists()


def test_signup_with_garbage_is_a_form_error_not_a_500(client):
    response = client.post(reverse("accounts:signup"), {"email": "not-an-email", "name": "x" * 500})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()


# --- login and logout -----------------------------------------------------------------


def test_login_form_uses_username_and_password_labelled_email(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert re.search(r'<label for="id_username">Email:?</label>', html)


def test_login_with_email_in_any_case_then_follows_next(client):
    user = UserFactory(email="kim@example.test")
    response = client.post(
        reverse("accounts:login"),
        {"username": "KIM@example.test", "password": PASSWORD, "next": "/accounts/profile/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert _logged_in_id(client) == str(user.pk)


def test_login_errors_do_not_tell_unknown_email_from_wrong_password(client):
    UserFactory(email="kim@example.test")
    wrong = client.post(
        reverse("accounts:login"), {"username": "kim@example.test", "password": "x"}
    )
    unknown = client.post(
        reverse("accounts:login"), {"username": "nobody@example.test", "password": "x"}
    )

    def error(response):
        return re.search(r'<ul class="errorlist nonfield">(.*?)</ul>', response.content.decode())[1]

    assert wrong.status_code == unknown.status_code == 200
    assert error(wrong) == error(unknown)
    assert "correct email" in error(wrong).lower()


@pytest.mark.parametrize(
    "data",
    [{}, {"username": "x" * 5000, "password": "y"}, {"username": "not an email", "password": ""}],
)
def test_login_with_garbage_is_a_form_error(client, data):
    response = client.post(reverse("accounts:login"), data)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_logout_is_post_only(client):
    user = UserFactory()
    client.force_login(user)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert _logged_in_id(client) == str(user.pk)

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert _logged_in_id(client) is None


def test_forms_work_with_csrf_checks_and_secure_cookies(settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    UserFactory(email="csrf@example.test")
    browser = Client(enforce_csrf_checks=True)
    data = {"username": "csrf@example.test", "password": PASSWORD}

    assert browser.post(reverse("accounts:login"), data).status_code == 403

    page = browser.get(reverse("accounts:login")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = browser.post(reverse("accounts:login"), {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["secure"]


# --- password reset -------------------------------------------------------------------


def test_password_reset_by_email_through_to_logging_in(client, run_jobs):
    user = UserFactory(email="reset@example.test", name="Rae")
    response = client.post(reverse("accounts:password_reset"), {"email": "Reset@Example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []  # the worker sends it
    run_jobs()

    (message,) = mail.outbox
    assert message.to == ["reset@example.test"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    link = re.search(r"https?://\S+/accounts/password-reset/\S+/\S+/", message.body)[0]
    assert link.startswith(settings.SITE_URL)
    assert link in html

    path = link.removeprefix(settings.SITE_URL)
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")

    # The link works once.
    assert "expired" in client.get(path, follow=True).content.decode()
    # The old password no longer logs in; the new one does.
    old = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert old.status_code == 200 and _logged_in_id(client) is None
    new = client.post(reverse("accounts:login"), {"username": user.email, "password": NEW_PASSWORD})
    assert new.status_code == 302 and _logged_in_id(client) == str(user.pk)


def test_password_reset_with_the_mail_server_down_still_answers(client, settings, run_jobs):
    """The email is a job: it fails in the worker, not the request, and is retried."""
    UserFactory(email="reset@example.test")
    settings.MAILERS = smtp_mailers(closed_port(), timeout=2)
    settings.TASKS_RETRY_DELAY_S = 60
    response = client.post(reverse("accounts:password_reset"), {"email": "reset@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    run_jobs()
    [job] = DBTaskResult.objects.all()
    assert job.status == "READY" and "ConnectionRefusedError" in job.traceback


def test_password_reset_for_an_unknown_email_looks_the_same(client, run_jobs):
    UserFactory(email="known@example.test")
    known = client.post(reverse("accounts:password_reset"), {"email": "known@example.test"})
    unknown = client.post(reverse("accounts:password_reset"), {"email": "ghost@example.test"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    run_jobs()
    assert len(mail.outbox) == 1  # only the real account got mail
    done = client.get(unknown["Location"]).content.decode()
    assert "If an account uses that address" in done


# --- profile and password change ------------------------------------------------------


def test_profile_needs_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_profile_edit(client):
    user = UserFactory(email="pro@example.test", name="Old Name")
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {
            "name": "New Name",
            "company": "Gunbarrel Labs",
            "phone": "720-555-0199",
            "bio": "We ship.",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.company, user.phone, user.bio) == (
        "New Name",
        "Gunbarrel Labs",
        "720-555-0199",
        "We ship.",
    )
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Your profile is saved." in page and 'value="New Name"' in page


def test_profile_edit_rejects_too_long_values(client):
    user = UserFactory(name="Keep Me")
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"name": "x" * 151})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    user.refresh_from_db()
    assert user.name == "Keep Me"


def test_password_change_keeps_you_logged_in_and_changes_the_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    assert _logged_in_id(client) == str(user.pk)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_change_needs_the_old_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- becoming a host ------------------------------------------------------------------


def test_become_host_is_a_post_for_logged_in_users(client):
    user = UserFactory()
    assert client.post(reverse("accounts:become_host")).status_code == 302  # to login
    user.refresh_from_db()
    assert not user.is_host

    client.force_login(user)
    page = client.get(reverse("accounts:become_host"))
    assert page.status_code == 200 and "Become a host" in page.content.decode()
    user.refresh_from_db()
    assert not user.is_host  # a GET changes nothing

    response = client.post(reverse("accounts:become_host"))
    assert response["Location"] == reverse("host:listings_listing_add")
    user.refresh_from_db()
    assert user.is_host and user.is_staff and not user.is_superuser
    assert client.get(reverse("host:index")).status_code == 200


# --- the account part of the header ---------------------------------------------------


def test_anonymous_nav_has_no_token_and_nothing_personal(client):
    html = client.get(reverse("accounts:password_reset_done")).content.decode()
    nav = html[html.index("<nav") : html.index("</nav>")]
    assert "csrfmiddlewaretoken" not in nav
    assert "Log in" in nav and "Sign up" in nav and "List your space" in nav


def test_logged_in_nav_links_profile_bookings_and_posts_logout(client, make_host):
    guest = UserFactory(name="Gus Guest")
    client.force_login(guest)
    nav = client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{reverse("accounts:profile")}" title="Gus Guest">Gus Guest</a>' in nav
    assert 'href="/bookings/"' in nav
    assert f'<form method="post" action="{reverse("accounts:logout")}">' in nav
    assert "Host admin" not in nav

    client.force_login(make_host(name="Hal Host"))
    nav = client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{reverse("host:index")}">Host admin</a>' in nav
