"""One-use sign-in links: signed with Django's signing (nothing stored), bound to the user's
last login, so using one (logging in changes it) spends it; good for SIGNIN_LINK_MAX_AGE."""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.http import urlencode

from .models import User

SIGNIN_LINK_SALT = "accounts.signin-link"


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
