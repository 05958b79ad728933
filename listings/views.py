import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from bookings.selectors import (
    guest_bookings_on,
    listing_availability,
    listing_reviews,
    move_in_range,
)
from cdn.tags import tag_listings
from pivotdesk.pagecache import release_id, request_content_version

from . import selectors, seo
from .filters import PAGE_SIZE, ListingFilter
from .forms import RequestPrefillForm
from .maps import map_config
from .models import City, Listing
from .pricing import AllIn

PAGE_NOT_A_NUMBER = "Page: “{value}” is not a page number. Showing page 1."
PAGE_OUT_OF_RANGE = "There is no page {number} (the last is {last}). Showing page 1."
CITY_PAGE_CARDS = 24
COUNT_TIMEOUT = 300


def _page(queryset, raw, *, count_key=None):
    """The requested page of ``queryset``; a bad or out-of-range number gives page 1 + a note.

    ``count_key``: where the number of matches is cached (see ``_count_key``).
    """
    paginator = Paginator(queryset, PAGE_SIZE)
    if count_key is not None:
        total = cache.get(count_key)
        if total is None:
            total = queryset.count()
            cache.set(count_key, total, COUNT_TIMEOUT)
        paginator.count = total  # Paginator would otherwise ask the database
    note, number = "", 1
    if raw:
        try:
            number = int(raw[:12])
            if number < 1:
                raise ValueError
        except ValueError:
            shown = "".join(ch for ch in raw[:40] if ch.isprintable())
            note, number = PAGE_NOT_A_NUMBER.format(value=shown), 1
    if number > paginator.num_pages:
        note = PAGE_OUT_OF_RANGE.format(number=number, last=paginator.num_pages)
        number = 1
    return paginator.page(number), note


def _count_key(params, version):
    """The cache key for the number of matches of a search: its filters without the sort
    (and page), under the content version (an edit or an approved booking bumps it) and
    today's date (free desks are counted from today). None when the cache is unreachable.

    A search's sort orders and pages share one count: an uncached search over 10,000
    listings spent a third of its time counting (docs/PERFORMANCE.md).
    """
    if version is None:
        return None
    filters = urlencode([(k, v) for k, v in params if k != "sort"])
    digest = hashlib.md5(filters.encode(), usedforsecurity=False).hexdigest()
    day = timezone.localdate().isoformat()
    # The release too: a deploy may change what a filter matches.
    return f"search-count:{version}:{release_id()}:{day}:{digest}"


def _query(params):
    return f"?{urlencode(params)}" if params else ""


def _page_url(path, params, number):
    """One URL per page: page 1 has no ``page`` parameter (one cache entry, one canonical)."""
    return f"{path}{_query(params + ([('page', str(number))] if number > 1 else []))}"


def home(request):
    cities = list(selectors.cities_with_counts())
    featured = selectors.featured_by_city(cities=cities)
    tag_listings(request, [listing for _, listings in featured for listing in listings])
    return render(
        request,
        "listings/home.html",
        {
            "cities": cities,
            "featured": featured,
            "canonical": seo.absolute_url("/"),
            "move_in_range": move_in_range(today=timezone.localdate()),
        },
    )


def search(request):
    filters = ListingFilter(request.GET, request=request)
    params = filters.valid_params()
    page, page_note = _page(
        selectors.listing_search(filters=filters),
        request.GET.get("page"),
        count_key=_count_key(params, request_content_version(request)),
    )
    listings = selectors.with_places(
        list(page.object_list), cities=filters.cities, neighborhoods=filters.neighborhoods
    )
    tag_listings(request, listings)
    # The team size and date, for "Request desks" on the listing pages this search leads to
    # (static/js/prefill.js keeps them for the visit; card links stay exactly the listing's).
    prefill = [(k, v) for k, v in params if k in ("desks", "move_in")]
    active = [
        {**item, "remove_url": f"{request.path}{_query(item['remove_params'])}"}
        for item in filters.active_filters()
    ]
    selected_city = next((c for c in filters.cities if c.slug == dict(params).get("city")), None)
    return render(
        request,
        "listings/listing_search.html",
        {
            "filter": filters,
            "form": filters.display_form(),
            "page": page,
            "listings": listings,
            "notes": [*filters.notes(), *([page_note] if page_note else [])],
            "active_filters": active,
            "clear_url": request.path,
            "prev_url": page.has_previous() and _page_url(request.path, params, page.number - 1),
            "next_url": page.has_next() and _page_url(request.path, params, page.number + 1),
            "prefill_query": _query(prefill),
            "selected_city": selected_city,
            "pins": seo.map_pins(listings),
            "map": map_config(),
            "canonical": seo.absolute_url(_page_url(request.path, params, page.number)),
            "move_in_range": move_in_range(today=timezone.localdate()),
        },
    )


def city_detail(request, city):
    city = get_object_or_404(City, slug=city)
    listings = list(
        selectors.listing_cards(Listing.objects.published().in_city(city)).order_by(
            "-created_at", "-id"
        )[:CITY_PAGE_CARDS]
    )
    tag_listings(request, listings)
    neighborhoods = list(selectors.city_neighborhoods(city=city))
    total = sum(hood.published_count for hood in neighborhoods)
    og_image = next(
        (seo.listing_hero_url(listing) for listing in listings if listing.photos.all()), ""
    )
    return render(
        request,
        "listings/city_detail.html",
        {
            "city": city,
            "listings": listings,
            "neighborhoods": neighborhoods,
            "total": total,
            "pins": seo.map_pins(listings),
            "map": map_config(),
            "canonical": seo.absolute_url(city.get_absolute_url()),
            "og_image": og_image,
        },
    )


def listing_detail(request, city, slug):
    version = request_content_version(request)
    prefill = RequestPrefillForm(request.GET or None).params()
    desks = int(dict(prefill).get("desks") or 1)  # the all-in cost's desks asked
    page = selectors.listing_page(city_slug=city, slug=slug, version=version, desks=desks)
    your_bookings = None
    preview = False
    if page is None and request.user.is_authenticated:
        # Not listed: still the page of its host (a preview) and of the guests who have a
        # booking here. Logged in, so never in a shared cache.
        page = selectors.listing_page(
            city_slug=city, slug=slug, version=version, published_only=False, desks=desks
        )
        preview = page is not None and page.listing.host_id == request.user.pk
        if page is not None and not preview:
            your_bookings = guest_bookings_on(user=request.user, listing=page.listing)
        if not (preview or your_bookings):
            page = None
    if page is None:
        raise Http404("No published listing here.")
    listing = page.listing
    tag_listings(request, [listing])
    # The gallery's first photo is og:image's: both come from seo.shown_photos.
    photos = seo.shown_photos(page.photos)
    reviews = listing_reviews(listing=listing, page=request.GET.get("reviews"))
    return render(
        request,
        "listings/listing_detail.html",
        {
            "listing": listing,
            "photos": photos,
            "availability": listing_availability(listing=listing),
            "your_bookings": your_bookings
            if your_bookings is not None
            else guest_bookings_on(user=request.user, listing=listing),
            "unlisted": not listing.is_published,
            "preview": preview,
            "amenities": page.amenities,
            "all_in": AllIn.of(listing),
            "extras": page.extras,
            "book_url": f"{listing.get_absolute_url()}book/{_query(prefill)}",
            "pins": seo.map_pins([listing]),
            "map": map_config(),
            "canonical": seo.absolute_url(listing.get_absolute_url()),
            "og_image": seo.hero_url(photos),
            "jsonld": seo.listing_jsonld(listing, photos, reviews=reviews.object_list),
            "reviews": reviews,
            "osm_url": (
                "https://www.openstreetmap.org/"
                f"?mlat={listing.latitude}&mlon={listing.longitude}"
                f"#map=17/{listing.latitude}/{listing.longitude}"
            ),
        },
    )


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /host/",
        "Disallow: /accounts/",
        "Disallow: /bookings/",
        "Disallow: /*/book/",
        "",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
