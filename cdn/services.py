"""What the app calls when public pages change: purge the tags concerned, after commit.

A purge is a job written in the caller's transaction, run by the worker after commit and
retried with backoff when the CDN refuses (jobs.services): a failed purge never fails the change.
The page cache says "public content changed" with a signal (``pivotdesk.pagecache``); this app
listens (``CdnConfig.ready``).
"""

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from .purge import purge_configured, tag_paths
from .tags import ALL, TAG, change_tags, clean, listing_tag
from .tasks import cdn_purge


def cdn_purge_enqueue(*, tags: list[str], listing_paths: dict[str, str] | None = None) -> None:
    """Purge ``tags`` after the current transaction commits (a job written in it: the purge
    exists only if the change does)."""
    if not purge_configured():
        return
    tags = [tag for tag in dict.fromkeys(map(clean, tags)) if TAG.match(tag)]
    paths = tag_paths(tags, listing_paths or {})
    if tags:
        cdn_purge.enqueue(tags=tags, paths=paths)


def cdn_content_changed(*, instance: models.Model | None = None, **kwargs) -> None:
    """Something public pages show changed (``instance`` saved or deleted; None: unknown):
    purge the tags it concerns, after commit. Receives ``pivotdesk.pagecache.content_changed``."""
    if not purge_configured():
        return
    try:
        tags = change_tags(instance) if instance is not None else [ALL]
        listing = getattr(instance, "listing", instance)
        listing_paths = {}
        if isinstance(listing, apps.get_model("listings", "Listing")):
            listing_paths[listing_tag(listing.pk)] = listing.get_absolute_url()
    except ObjectDoesNotExist:  # deleted with what it belonged to: purge everything
        tags, listing_paths = [ALL], {}
    cdn_purge_enqueue(tags=tags, listing_paths=listing_paths)
