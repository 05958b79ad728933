"""Account emails, sent by the worker: the welcome email and the password-reset link. Each
job sends once however often it runs (jobs.services.email_send_once)."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from jobs.services import email_send_once
from pivotdesk.emails import header_text

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


@task
def welcome_email_send(*, user_id: int) -> bool:
    """The welcome email (text + HTML) from DEFAULT_FROM_EMAIL, once per account."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    context = {"user": user, "site_url": settings.SITE_URL}
    message = _email(
        subject=render_to_string("accounts/email/welcome_subject.txt", context),
        text=render_to_string("accounts/email/welcome.txt", context),
        html=render_to_string("accounts/email/welcome.html", context),
        to=user.email,
    )
    return email_send_once(key=f"welcome:user:{user_id}", message=message)


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
