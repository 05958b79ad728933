"""Reads for listings that cross relations. Each owns its select/prefetch so pages run a
constant number of queries whatever the number of listings."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet, Window, prefetch_related_objects
from django.db.models.functions import RowNumber
from django_filters import FilterSet

from .models import Amenity, City, Listing, ListingExtra, Neighborhood, Photo
from .pricing import AllIn, with_all_in


def photos_in_order() -> Prefetch:
    """A listing's photos in the order the host gave them (the first is the card's)."""
    return Prefetch("photos", queryset=Photo.objects.order_by("position", "id"))


def listing_cards(
    queryset: QuerySet[Listing] | None = None, *, photos: bool = True
) -> QuerySet[Listing]:
    """Published listings with what a card shows: city, neighborhood, the all-in monthly
    cost for the minimum desks (listings.pricing) and (``photos``) the photos. Without
    photos, ``listings.cards`` fetches them only for cards not in the cache.
    """
    queryset = Listing.objects.published() if queryset is None else queryset
    queryset = with_all_in(queryset, desks=None)
    # The tsvector is for the database's eyes only; don't ship it to Python.
    queryset = queryset.select_related("city", "neighborhood").defer("search_vector")
    return queryset.prefetch_related(photos_in_order()) if photos else queryset


# {content version: (cities, neighborhoods, amenities)}: this process's copy for the latest
# version only. Shared read-only by the worker's threads.
_search_choices: dict[int, tuple[list[City], list[Neighborhood], list[Amenity]]] = {}


def search_choices(*, version: int | None) -> tuple[list[City], list[Neighborhood], list[Amenity]]:
    """Cities, neighborhoods (with their city) and amenities, for the search form.

    Three small tables that rarely change: each process keeps them for the current content
    version (any change to them bumps it, listings.signals), so an uncached search
    does not ask for them again. ``version`` None (cache unreachable): read every time.
    """
    # One read: another thread may replace the entry between a test and a lookup.
    kept = _search_choices.get(version) if version is not None else None
    if kept is not None:
        return kept
    choices = (
        list(City.objects.order_by("name")),
        list(Neighborhood.objects.select_related("city")),
        list(Amenity.objects.order_by("name")),
    )
    if version is not None:
        _search_choices.clear()
        _search_choices[version] = choices
    return choices


def listing_search(*, filters: FilterSet) -> QuerySet[Listing]:
    """Published listings matching a bound ``ListingFilter``: give a page of them its city
    and neighborhood with ``with_places`` and it is ready for cards.

    Invalid parameters were already dropped by the filter's form; ordering comes from the
    filter (``sort``, relevance for text, else newest).
    """
    return filters.qs.defer("search_vector")


def with_places(
    listings: list[Listing], *, cities: list[City], neighborhoods: list[Neighborhood]
) -> list[Listing]:
    """``listings`` with their city and neighborhood set from ``cities`` and
    ``neighborhoods`` (the search form's copies, kept per process and content version)
    instead of joined into the page query: the join and two more model instances a row were
    ~3 ms of Python for a page of 24. A listing whose place is newer than the copies (added
    while this request ran) gets it from the database, in one query for all of them."""
    by_city = {city.pk: city for city in cities}
    by_neighborhood = {hood.pk: hood for hood in neighborhoods}
    newer = []
    for listing in listings:
        city = by_city.get(listing.city_id)
        hood = by_neighborhood.get(listing.neighborhood_id)
        if city is None or hood is None:
            newer.append(listing)
        else:
            listing.city, listing.neighborhood = city, hood
    prefetch_related_objects(newer, "city", "neighborhood")
    return listings


@dataclass(frozen=True)
class ListingPage:
    """What a listing's page shows: the published listing (city, neighborhood and host set),
    its photos in the host's order, its amenities by name."""

    listing: Listing
    photos: list[Photo]
    amenities: list[Amenity]
    extras: list[ListingExtra]


def listing_page(
    *,
    city_slug: str,
    slug: str,
    version: int | None,
    published_only: bool = True,
    desks: int | None = None,
) -> ListingPage | None:
    """The published listing at /spaces/<city_slug>/<slug>/ and what its page shows, or None.
    With ``published_only=False`` an unlisted one too (its guests still see its page).

    Four queries: the listing with its host and its all-in cost for ``desks`` desks asked
    (listings.pricing), its photos, its amenities' ids, its monthly extras. The city, the
    neighborhood and the amenities themselves come from the search form's per-process copies
    (``search_choices``, kept by content ``version``) instead of joins and a prefetch: ~15 %
    of an uncached listing page (measured with loadtest/render_cost.py). A city, place or
    amenity newer than the copies is fetched.
    """
    cities, neighborhoods, amenities = search_choices(version=version)
    city = next((c for c in cities if c.slug == city_slug), None)
    if city is None:
        city = City.objects.filter(slug=city_slug).first()
        if city is None:
            return None
    listings = Listing.objects.published() if published_only else Listing.objects.all()
    listing = (
        with_all_in(listings, desks=desks)
        .select_related("host")
        .defer("search_vector")
        .filter(city_id=city.pk, slug=slug)
        .first()
    )
    if listing is None:
        return None
    with_places([listing], cities=[city, *cities], neighborhoods=neighborhoods)
    photos = list(listing.photos.order_by("position", "id"))
    ids = set(
        Listing.amenities.through.objects.filter(listing_id=listing.pk).values_list(
            "amenity_id", flat=True
        )
    )
    shown = [amenity for amenity in amenities if amenity.pk in ids]  # by name
    if len(shown) < len(ids):
        shown = list(Amenity.objects.filter(pk__in=ids).order_by("name"))
    extras = list(listing.extras.all())
    return ListingPage(listing=listing, photos=photos, amenities=shown, extras=extras)


def cities_with_counts() -> QuerySet[City]:
    return City.objects.annotate(
        published_count=Count("listings", filter=Q(listings__status=Listing.Status.PUBLISHED))
    ).order_by("name")


def city_neighborhoods(*, city: City) -> QuerySet[Neighborhood]:
    """The city's neighborhoods with their number of published listings."""
    return (
        city.neighborhoods.annotate(
            published_count=Count("listings", filter=Q(listings__status=Listing.Status.PUBLISHED))
        )
        .select_related("city")
        .order_by("name")
    )


def featured_listings(*, city: City, limit: int = 3) -> list[Listing]:
    return list(
        listing_cards(Listing.objects.published().in_city(city)).order_by("-created_at")[:limit]
    )


def featured_by_city(*, cities: list[City], limit: int = 3) -> list[tuple[City, list[Listing]]]:
    """The newest ``limit`` published listings of each city: two queries for all cities."""
    ranked = listing_cards().annotate(
        rank_in_city=Window(
            RowNumber(),
            partition_by=[F("city_id")],
            order_by=[F("created_at").desc(), F("id").desc()],
        )
    )
    by_city: dict[int, list[Listing]] = {}
    for listing in ranked.filter(rank_in_city__lte=limit).order_by("city_id", "rank_in_city"):
        by_city.setdefault(listing.city_id, []).append(listing)
    return [(city, by_city.get(city.pk, [])) for city in cities]


def published_sitemap_listings() -> QuerySet[Listing]:
    """What /sitemap.xml lists: published listings with the city for their URL."""
    return (
        Listing.objects.published()
        .select_related("city")
        .only("slug", "updated_at", "city__slug")
        .order_by("city__slug", "slug")
    )


@dataclass(frozen=True)
class ListingCost:
    """What a team pays at ``listing`` for the desks asked (listings.pricing), and the
    extras it may add."""

    amounts: AllIn
    extras: list[ListingExtra]


def listing_cost(*, listing: Listing, desks: int | None) -> ListingCost:
    """The all-in monthly cost and move-in amount of ``listing`` for ``desks`` desks asked,
    with its extras (required first): two queries."""
    annotated = with_all_in(Listing.objects.filter(pk=listing.pk), desks=desks).get()
    return ListingCost(amounts=AllIn.of(annotated), extras=list(listing.extras.all()))


def host_listings_to_archive(*, host_id: int) -> QuerySet[Listing]:
    """``host_id``'s listings not archived yet, by ascending id: what closing the host's
    account archives (``listings.services.host_account_closed``)."""
    return (
        Listing.objects.filter(host_id=host_id)
        .exclude(status=Listing.Status.ARCHIVED)
        .order_by("pk")
    )


def account_close_listings(sender, *, user, **kwargs) -> list[int]:
    """Receiver of ``accounts.signals.account_close_listings``: the listings closing
    ``user``'s account archives (and so locks)."""
    return list(host_listings_to_archive(host_id=user.pk).values_list("pk", flat=True))
