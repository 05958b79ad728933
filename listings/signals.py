"""Listings' signals.

Cache invalidation: a saved change to what public pages show of a listing, its photos, places,
amenities or host says so (``pivotdesk.pagecache.public_content_changed``). update() and
bulk_create() send no signals: their callers call it themselves.

``desks_freed`` (``listing_id``), for apps built on top: something may have left desks free
on a listing that were not free before — a booking cancelled or cut short by notice, a request
declined or expired, a waitlist offer declined or lapsed, the host adding desks or opening the
space earlier. It is sent inside the writer's transaction, after the write; a receiver must do
no more than queue a job (a job row commits or rolls back with the write), never mail or count
desks.

``listing_unlisted`` (``listing_id``), for apps built on top: the listing has just been taken
off the site — archived (``listing_archive``, or ``listing_update`` setting the status) or set
back to draft (``listing_update``). It is sent inside that transaction, after the write and
under the listing's row lock; a receiver settles what needs the listing listed (tours
cancels its upcoming tours) by writing rows in that transaction through its own services,
mail queued as jobs, never a remote call.
"""

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal

from pivotdesk.pagecache import public_content_changed

from .models import Amenity, City, Listing, Neighborhood, Photo

desks_freed = Signal()
listing_unlisted = Signal()

# What public pages show of a listing's host ("Hosted by", JSON-LD seller).
HOST_PUBLIC_FIELDS = frozenset({"name", "company", "email"})


def content_changed(sender, instance=None, raw=False, using=None, action=None, **kwargs):
    if raw or (action is not None and not action.startswith("post_")):
        return  # loaddata; m2m_changed fires pre_ and post_, one is enough
    public_content_changed(using=using, instance=instance)


def host_changed(sender, instance, created, update_fields=None, raw=False, using=None, **kwargs):
    """Not on every user save: each login saves last_login, and guests are on no page."""
    if raw or created:
        return
    if update_fields is not None and not HOST_PUBLIC_FIELDS.intersection(update_fields):
        return
    if Listing.objects.filter(host_id=instance.pk).exists():
        public_content_changed(using=using, instance=instance)


def connect() -> None:
    for model in (Listing, Photo, Neighborhood, City, Amenity):
        uid = f"pc-{model.__name__}"
        post_save.connect(content_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"{uid}-delete")
    through = Listing.amenities.through
    m2m_changed.connect(content_changed, sender=through, dispatch_uid="pc-amenities")
    post_save.connect(host_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid="pc-host")
