"""Invite links: signed with Django's signing (the way accounts.links signs sign-in links),
naming the invite row; good for TEAM_INVITE_MAX_AGE from when the email is made, and usable
once because accepting marks the row (a used or revoked invite's link finds nothing)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Invite

INVITE_LINK_SALT = "teams.invite-link"


def invite_link_make(*, invite: Invite) -> str:
    """The absolute link (from SITE_URL) for ``invite``'s email."""
    token = signing.dumps({"i": invite.pk, "e": invite.email}, salt=INVITE_LINK_SALT)
    return settings.SITE_URL + reverse("teams:invite", args=[token])


def invite_from_token(*, token: str) -> Invite | None:
    """The pending invite a link is for, or None when it is forged, expired, used or revoked."""
    try:
        data = signing.loads(token, salt=INVITE_LINK_SALT, max_age=settings.TEAM_INVITE_MAX_AGE)
        invite = (
            Invite.objects.select_related("team", "invited_by")
            .filter(pk=int(data["i"]), email=str(data["e"]), status=Invite.Status.PENDING)
            .first()
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return invite
