"""What a public page shows, as cache tags, and which tags a saved change concerns.

Tags are ``[a-z0-9-]`` words: ``listing-<id>``, ``city-<slug>``, ``search``, ``home``,
``sitemap``, ``robots``, ``page-<slug>``, and ``all`` on every page (what a change with no
better answer purges). A page's tags go out in ``Surrogate-Key``; the CDN strips it.
"""

import re

from django.conf import settings
from django.db import models

TAG = re.compile(r"^[a-z0-9-]{1,100}$")
ALL = "all"
HEADER = "Surrogate-Key"
# Beyond this many tags a change purges ``all``: one short request instead of a long one.
MAX_TAGS = 200
VIEW_TAGS = {
    "listings:home": ["home"],
    "listings:search": ["search"],
    "sitemap": ["sitemap"],
    "sitemap-section": ["sitemap"],
    "robots": ["robots"],
}


def clean(tag: str) -> str:
    """``tag`` as a CDN takes it: ``[a-z0-9-]``, at most 100 characters (a slug's ``_`` or
    capitals become ``-`` and small letters, the same on the page and in the purge)."""
    return re.sub(r"[^a-z0-9-]", "-", str(tag).lower())[:100]


def listing_tag(listing_id: int) -> str:
    return f"listing-{listing_id}"


def tag_listings(request, listings) -> None:
    """Say that the page answering ``request`` shows these listings (cards or the page)."""
    if request is None:
        return
    if not hasattr(request, "cdn_tags"):
        request.cdn_tags = []
    request.cdn_tags.extend(listing_tag(listing.pk) for listing in listings)


def page_tags(request) -> list[str]:
    """The tags of the public page answering ``request``: its kind, then what it shows."""
    match = request.resolver_match
    view_name = getattr(match, "view_name", None)
    tags = [ALL, *VIEW_TAGS.get(view_name, [])]
    if view_name in ("listings:city", "listings:detail"):
        tags.append(f"city-{match.kwargs['city']}")
    elif view_name and view_name.startswith("pages:"):
        tags.append(f"page-{view_name.removeprefix('pages:')}")
    tags += getattr(request, "cdn_tags", [])
    return [tag for tag in dict.fromkeys(map(clean, tags)) if TAG.match(tag)]


def _listing_change(listing) -> list[str]:
    # A new, edited or gone listing: its own pages and cards, and the lists it may join.
    return [listing_tag(listing.pk), f"city-{listing.city.slug}", "search", "home", "sitemap"]


def change_tags(instance: models.Model) -> list[str]:
    """The tags a saved or deleted ``instance`` concerns (``[ALL]`` when it could be anywhere)."""
    label = instance._meta.label
    if label == "listings.Listing":
        tags = _listing_change(instance)
    elif label == "listings.Photo" or label == "bookings.Booking":
        tags = _listing_change(instance.listing)
    elif label == "pages.Page":
        tags = [f"page-{instance.slug}"]
    elif label == settings.AUTH_USER_MODEL:
        listing_ids = instance.listings.values_list("pk", flat=True)[: MAX_TAGS + 1]
        tags = [listing_tag(pk) for pk in listing_ids]
    else:  # a city, a neighborhood, an amenity: names shown on many pages
        tags = [ALL]
    return [ALL] if len(tags) > MAX_TAGS else tags
