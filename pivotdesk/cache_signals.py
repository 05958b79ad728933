"""Page and card cache invalidation. Signals are for cache invalidation only (STYLE.md).

Every committed change to what public pages show bumps the content version
(pivotdesk.pagecache), so the next request renders afresh. QuerySet.update() and
bulk_create() send no signals: call pivotdesk.pagecache.content_version_bump() after them.
"""

import logging

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .pagecache import content_version_bump

log = logging.getLogger(__name__)

# Lazy "app_label.Model" senders: ModelSignal resolves them once the model is registered.
SENDERS = (
    "listings.Listing",
    "listings.Photo",
    "listings.Neighborhood",
    "listings.City",
    "listings.Amenity",
    "bookings.Booking",
    "pages.Page",
)

# What public pages show of a listing's host (listing detail: "Hosted by", JSON-LD seller).
# display_name falls back to the email when there is no name.
HOST_PUBLIC_FIELDS = frozenset({"name", "company", "email"})


def content_changed(sender, **kwargs):
    if kwargs.get("raw"):  # loaddata
        return
    action = kwargs.get("action")
    if action is not None and not action.startswith("post_"):
        return  # m2m_changed fires pre_ and post_; one bump is enough
    transaction.on_commit(content_version_bump, using=kwargs.get("using"))


def host_changed(sender, instance, created, update_fields=None, raw=False, using=None, **kwargs):
    """Bump when a listing's host changes what listing pages show of them.

    Not on every user save: each login saves last_login (update_fields=["last_login"]), and
    guests are on no public page, so a wave of sign-ups must not flush the page cache.
    """
    if raw or created:  # a new account hosts no listing yet
        return
    if update_fields is not None and not HOST_PUBLIC_FIELDS.intersection(update_fields):
        return
    if not apps.get_model("listings", "Listing").objects.filter(host_id=instance.pk).exists():
        return
    transaction.on_commit(content_version_bump, using=using)


def connect() -> list[str]:
    """Connect the receivers; return the senders connected. A sender whose app or model is
    not there (bookings.Booking before it exists) is skipped: a lazy reference to a model
    that never arrives would fail Django's system checks."""
    connected = []
    for label in SENDERS:
        app_label, model_name = label.split(".")
        try:
            apps.get_model(app_label, model_name)
        except LookupError:
            log.debug("no %s model yet: not watching it for cache invalidation", label)
            continue
        uid = f"pagecache-{label}"
        post_save.connect(content_changed, sender=label, dispatch_uid=f"{uid}-save")
        post_delete.connect(content_changed, sender=label, dispatch_uid=f"{uid}-delete")
        connected.append(label)
    if "listings.Listing" in connected:
        through = apps.get_model("listings", "Listing").amenities.through
        m2m_changed.connect(content_changed, sender=through, dispatch_uid="pagecache-amenities")
        post_save.connect(
            host_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="pagecache-host"
        )
        connected.append(settings.AUTH_USER_MODEL)
    return connected
