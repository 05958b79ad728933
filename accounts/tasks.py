"""Account emails, sent by the worker: the welcome email (with its one-use sign-in link), the
"you already have an account" email, the password-reset link, the email-change link (to the
new address) and its notice (to the old one), and the goodbye email of a closed account.
Each job sends once however often it runs (jobs.services.email_send_once)."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from jobs.services import email_send_once
from pivotdesk.emails import header_text

from .links import email_change_link_make, signin_link_make
from .models import User


def _email(*, subject: str, text: str, html: str, to: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=header_text(subject),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    return message


def _templated(
    *, user: User | None, template: str, to: str = "", **context
) -> EmailMultiAlternatives:
    """The email ``template`` (subject, text and HTML), to ``to`` or else ``user``'s address."""
    context = {"user": user, "site_url": settings.SITE_URL, **context}
    return _email(
        subject=render_to_string(f"accounts/email/{template}_subject.txt", context),
        text=render_to_string(f"accounts/email/{template}.txt", context),
        html=render_to_string(f"accounts/email/{template}.html", context),
        to=to or user.email,
    )


@task
def welcome_email_send(*, user_id: int, next_url: str = "") -> bool:
    """The welcome email, once per account, with a one-use link that logs the new member in
    and goes on to ``next_url``. The link is made here: no token waits in the queue's table."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    link = signin_link_make(user=user, next_url=next_url)
    message = _templated(user=user, template="welcome", signin_link=link)
    return email_send_once(key=f"welcome:user:{user_id}", message=message)


@task
def account_exists_email_send(*, user_id: int, key: str) -> bool:
    """Tell an account's owner that someone tried to sign up with their address (once per
    ``key``: one per attempt). It carries no way in, only the login and reset pages."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    message = _templated(user=user, template="account_exists")
    return email_send_once(key=f"account-exists:{key}", message=message)


@task
def password_reset_email_send(
    *,
    user_id: int,
    key: str,
    subject_template_name: str,
    email_template_name: str,
    html_email_template_name: str | None = None,
) -> bool:
    """One password-reset email, once per ``key`` (one per reset asked for).

    The link's token is made here, not in the request, so no token waits in the queue's
    table; it is as valid as one made at the request (it signs the user's state and time).
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    context = {
        "email": user.email,
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "site_url": settings.SITE_URL,
    }
    message = _email(
        subject=render_to_string(subject_template_name, context),
        text=render_to_string(email_template_name, context),
        html=render_to_string(html_email_template_name, context)
        if html_email_template_name
        else "",
        to=user.email,
    )
    return email_send_once(key=f"password-reset:{key}", message=message)


@task
def email_change_confirm_send(*, user_id: int, new_email: str, key: str) -> bool:
    """The link that confirms ``new_email``, sent to that address (once per ``key``: one per
    change asked for). Made here, so no token waits in the queue's table; a change or a
    password change since the request makes it a link that no longer works."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    link = email_change_link_make(user=user, new_email=new_email)
    message = _templated(
        user=user, template="email_change_confirm", to=new_email, new_email=new_email, link=link
    )
    return email_send_once(key=f"email-change-confirm:{key}", message=message)


@task
def email_change_notice_send(*, user_id: int, new_email: str, key: str) -> bool:
    """Tell the current address that a change to ``new_email`` was asked for (once per
    ``key``), with what to do if it wasn't its owner. It carries no link that changes anything."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    message = _templated(user=user, template="email_change_notice", new_email=new_email)
    return email_send_once(key=f"email-change-notice:{key}", message=message)


@task
def account_closed_email_send(*, user_id: int, email: str, name: str) -> bool:
    """The goodbye email, once per closed account, to the address it had (``email``: the
    account's own is scrubbed by the time this runs)."""
    message = _templated(user=None, template="account_closed", to=email, name=name)
    return email_send_once(key=f"account-closed:user:{user_id}", message=message)
