"""Listing cards, the fragment every list of spaces is made of (home, city pages, search).

A card is cached whole under the key ``{% cache 86400 listing_card pk updated_at version
release prefix %}`` would use, so an edit to the listing (``updated_at``) or to anything a
card shows (the content version: photos, neighborhoods...) retires it, and so does a deploy
(the release id); the script prefix its link is built on is in the key too. What differs
between pages showing the same listing (whether its photo loads lazily) is left as a slot in
the cached HTML and filled in per page, so one cached card serves every search. A card's
link is exactly the listing's URL (the search's desks and move-in reach "Request desks"
through the browser, static/js/prefill.js). A page asks for all its cards in one round trip
(``get_many``), renders only the missing ones, fetching their photos in one query when the
listings came without them, and stores those together (``set_many``). Logged-in visitors,
who bypass the page cache, reuse the same cards.
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.db.models import prefetch_related_objects
from django.template.defaultfilters import pluralize
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from pivotdesk.pagecache import release_id

from .models import Listing
from .pricing import AllIn
from .selectors import photos_in_order

TEMPLATE = "includes/listing_card.html"
TIMEOUT = 86400


# Filled in per page. NUL cannot come out of the template otherwise: escaping leaves it
# alone, and neither Postgres text nor a URL carries one.
LOADING_SLOT = "\x00loading\x00"
LAZY = 'loading="lazy"'
# The all-in monthly cost depends on the desks a search asks for: one cached card serves
# every team size, and each page writes its own figure here (listings.pricing's annotation).
ALL_IN_SLOT = "\x00all_in\x00"


def card_key(listing: Listing, *, version) -> str:
    # A deploy may change the card's template; the script prefix, what it links to.
    return make_template_fragment_key(
        "listing_card",
        [listing.pk, listing.updated_at, version, release_id(), get_script_prefix()],
    )


def card(listing: Listing) -> dict:
    """What a card shows, as plain values: the template then reads dictionaries only, which
    halves its cost (a template lookup on a model instance tries ``obj[name]`` and catches
    the TypeError before ``getattr``). Needs the listing's city, neighborhood and photos."""
    photos = listing.photos.all()
    photo = photos[0] if photos else None
    return {
        "url": listing.get_absolute_url(),
        "title": listing.title,
        "neighborhood": listing.neighborhood.name,
        "city": listing.city.name,
        "space_type": listing.get_space_type_display(),
        "price": listing.price_label,
        "desks": listing.desks,
        "whole": listing.is_let_whole,
        "whole_price": listing.whole_price_label if listing.is_let_whole else "",
        "rating": f"{listing.rating_average:.1f}" if listing.rating_count else "",
        "reviews": listing.rating_count,
        "answers": listing.answer_badge,
        "loading": LOADING_SLOT,
        "all_in": ALL_IN_SLOT,
        # Only the card variant ships, never the original upload.
        "photo": photo is not None
        and bool(photo.card_jpeg)
        and {
            "jpeg": photo.card_url,
            "webp": photo.card_webp_url,
            "width": photo.card_width,
            "height": photo.card_height,
            "alt": photo.alt_text,
        },
    }


def render(
    listings: Iterable[Listing],
    *,
    eager: int | None = None,
    version: int | None,
) -> SafeString:
    """The cards of ``listings`` in order; after the first ``eager`` (if given) the photos
    load lazily. ``version`` None (the cache is unreachable): all rendered, none stored."""
    listings = list(listings)
    keys = [card_key(listing, version=version) for listing in listings]
    storable = version is not None
    found = cache.get_many(keys) if storable and keys else {}
    missing = [listing for key, listing in zip(keys, listings, strict=True) if key not in found]
    if missing:
        # Listings that already carry their photos are skipped by the prefetch.
        prefetch_related_objects(missing, photos_in_order())
        template = get_template(TEMPLATE)
        fresh = {
            card_key(listing, version=version): template.render({"card": card(listing)})
            for listing in missing
        }
        if storable:
            cache.set_many(fresh, TIMEOUT)
        found.update(fresh)
    return mark_safe(  # rendered by the templates above
        "".join(
            found[key]
            .replace(LOADING_SLOT, LAZY if eager is not None and n >= eager else "")
            .replace(ALL_IN_SLOT, _all_in(listing))
            for n, (key, listing) in enumerate(zip(keys, listings, strict=True))
        )
    )


def _all_in(listing: Listing) -> str:
    """The card's all-in line for this page's desks; "" for a listing fetched without it.
    Written here, not by a template: it runs for every card of every page."""
    amounts = AllIn.of(listing)
    if amounts is None:
        return ""
    if listing.is_let_whole:
        desks = "the office"
    else:
        desks = f"{amounts.desks} desk{pluralize(amounts.desks)}"
    extras = " · with required extras" if amounts.extras_cents else ""
    return format_html(
        '<p class="card-all-in"><strong>${}</strong> a month all-in for {}{}</p>',
        amounts.label,
        desks,
        extras,
    )
