"""Signed links: made with Django's signing (nothing stored), each bound to the user's state
so that using it spends it, and good for a setting's number of seconds.

- Sign-in links (the welcome email): bound to the user's last login, which using one
  changes; good for SIGNIN_LINK_MAX_AGE.
- Email-change links (sent to the new address): bound to the user's current address and
  password hash (as a keyed hash, never the hash itself), so confirming one, any other
  address change or a password change spends it; good for EMAIL_CHANGE_MAX_AGE.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlencode

from .models import User

SIGNIN_LINK_SALT = "accounts.signin-link"
EMAIL_CHANGE_SALT = "accounts.email-change"


def _last_login(user: User) -> str:
    return user.last_login.isoformat() if user.last_login else ""


def signin_link_make(*, user: User, next_url: str = "") -> str:
    """A one-use link (absolute, from SITE_URL) that logs ``user`` in and goes to ``next_url``."""
    token = signing.dumps({"u": user.pk, "l": _last_login(user)}, salt=SIGNIN_LINK_SALT)
    url = settings.SITE_URL + reverse("accounts:signin_link", args=[token])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def signin_link_user(*, token: str) -> User | None:
    """The active user a sign-in link is for, or None when it is forged, used or expired."""
    try:
        data = signing.loads(token, salt=SIGNIN_LINK_SALT, max_age=settings.SIGNIN_LINK_MAX_AGE)
        user = User.objects.filter(pk=int(data["u"]), is_active=True).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if user is None or data.get("l") != _last_login(user):
        return None
    return user


@dataclass(frozen=True)
class EmailChange:
    """What a valid email-change link asks: ``user``'s address becomes ``new_email``."""

    user: User
    new_email: str


def _email_change_state(user: User) -> str:
    return salted_hmac(
        EMAIL_CHANGE_SALT, f"{user.pk}|{user.email}|{user.password}", algorithm="sha256"
    ).hexdigest()[:32]


def email_change_link_make(*, user: User, new_email: str) -> str:
    """The absolute link (from SITE_URL) that confirms ``new_email`` for ``user``."""
    token = signing.dumps(
        {"u": user.pk, "e": new_email, "s": _email_change_state(user)}, salt=EMAIL_CHANGE_SALT
    )
    return settings.SITE_URL + reverse("accounts:email_change_confirm", args=[token])


def email_change_from_token(*, token: str) -> EmailChange | None:
    """The change an email-change link asks for, or None when it is forged, expired, used,
    or made before the account's address or password changed (or it closed)."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.EMAIL_CHANGE_MAX_AGE)
        user = User.objects.filter(pk=int(data["u"]), is_active=True).first()
        new_email, state = str(data["e"]), str(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if user is None or not constant_time_compare(state, _email_change_state(user)):
        return None
    return EmailChange(user=user, new_email=new_email)
