"""Unsubscribe links: signed with Django's signing (nothing stored), naming one saved search
and its owner; good for ALERTS_UNSUBSCRIBE_MAX_AGE (an old email's link then says to log in)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import SavedSearch

UNSUBSCRIBE_SALT = "alerts.unsubscribe"


def unsubscribe_token(*, saved_search: SavedSearch) -> str:
    return signing.dumps({"s": saved_search.pk, "u": saved_search.user_id}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, saved_search: SavedSearch) -> str:
    """The absolute one-click unsubscribe URL (from SITE_URL) of ``saved_search``."""
    token = unsubscribe_token(saved_search=saved_search)
    return settings.SITE_URL + reverse("alerts:unsubscribe", kwargs={"token": token})


def unsubscribe_search(*, token: str) -> SavedSearch | None:
    """The saved search a valid, unexpired token names, or None (forged, tampered, too old,
    or the search is gone)."""
    try:
        data = signing.loads(
            token[:500], salt=UNSUBSCRIBE_SALT, max_age=settings.ALERTS_UNSUBSCRIBE_MAX_AGE
        )
        return SavedSearch.objects.filter(pk=int(data["s"]), user_id=int(data["u"])).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError):
        return None
