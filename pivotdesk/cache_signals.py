"""Page and card cache invalidation: a saved change to what public pages show calls
``pivotdesk.pagecache.public_content_changed``. update() and bulk_create() send no signals:
their callers call it themselves."""

from django.apps import apps
from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

from .pagecache import public_content_changed

SENDERS = ["listings." + m for m in ("Listing", "Photo", "Neighborhood", "City", "Amenity")]
SENDERS += ["pages.Page"]
# What public pages show of a listing's host ("Hosted by", JSON-LD seller).
HOST_PUBLIC_FIELDS = frozenset({"name", "company", "email"})
# Availability counts approved bookings; a request, a decline or an expiry changes no page.
BOOKING_PUBLIC_STATUSES = frozenset({"approved", "cancelled"})


def content_changed(sender, instance=None, raw=False, using=None, action=None, **kwargs):
    if raw or (action is not None and not action.startswith("post_")):
        return  # loaddata; m2m_changed fires pre_ and post_, one is enough
    public_content_changed(using=using, instance=instance)


def booking_changed(sender, instance, raw=False, using=None, **kwargs):
    if not raw and instance.status in BOOKING_PUBLIC_STATUSES:
        public_content_changed(using=using, instance=instance)


def host_changed(sender, instance, created, update_fields=None, raw=False, using=None, **kwargs):
    """Not on every user save: each login saves last_login, and guests are on no page."""
    if raw or created:
        return
    if update_fields is not None and not HOST_PUBLIC_FIELDS.intersection(update_fields):
        return
    if apps.get_model("listings", "Listing").objects.filter(host_id=instance.pk).exists():
        public_content_changed(using=using, instance=instance)


def connect() -> None:
    for label in SENDERS:
        post_save.connect(content_changed, sender=label, dispatch_uid=f"pc-{label}-save")
        post_delete.connect(content_changed, sender=label, dispatch_uid=f"pc-{label}-delete")
    for signal in (post_save, post_delete):
        signal.connect(booking_changed, sender="bookings.Booking", dispatch_uid=f"pc-b-{signal}")
    through = apps.get_model("listings", "Listing").amenities.through
    m2m_changed.connect(content_changed, sender=through, dispatch_uid="pc-amenities")
    post_save.connect(host_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="pc-host")
