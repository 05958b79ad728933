"""Reads for listings that cross relations. Each owns its select/prefetch so pages run a
constant number of queries whatever the number of listings."""

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import City, Listing, Photo


def listing_cards(queryset: QuerySet[Listing] | None = None) -> QuerySet[Listing]:
    """Published listings with what a card shows: city, neighborhood, host, first photos."""
    queryset = Listing.objects.published() if queryset is None else queryset
    return queryset.select_related("city", "neighborhood", "host").prefetch_related(
        Prefetch("photos", queryset=Photo.objects.order_by("position", "id"))
    )


def cities_with_counts() -> QuerySet[City]:
    return City.objects.annotate(
        published_count=Count("listings", filter=Q(listings__status=Listing.Status.PUBLISHED))
    ).order_by("name")


def featured_listings(*, city: City, limit: int = 3) -> list[Listing]:
    return list(
        listing_cards(Listing.objects.published().in_city(city)).order_by("-created_at")[:limit]
    )
