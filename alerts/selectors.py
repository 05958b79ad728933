"""Reads for saved searches. A saved search is matched by the search page's own filters
(``listings.filters.ListingFilter``): what an alert calls a match is exactly what the guest
sees on /spaces/ with the same query."""

import datetime
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict

from accounts.models import User
from listings.filters import ListingFilter
from listings.models import Listing

from .models import Alert, SavedSearch

# An alert looks at the newest this many matches of a search (a search for "anything" would
# otherwise list every space each day); a listing further down is never news.
MATCHES_CONSIDERED = 500


def search_filters(*, query: str, request: HttpRequest | None = None) -> ListingFilter:
    """The search page's filters bound to ``query`` (a query string, possibly garbage). The
    filter's choices come from the process's copy for the content version (``request``'s, read
    once per request, or the current one): a page showing many saved searches, or a run of
    alerts, asks for them once."""
    return ListingFilter(QueryDict(query), request=request)


def saved_query(filters: ListingFilter) -> str:
    """What a saved search keeps of bound ``filters``: the search page's valid, non-empty
    filters in its order (the same string for the same search however it was typed), without
    the sort order, which finds nothing more or less."""
    return urlencode([(name, value) for name, value in filters.valid_params() if name != "sort"])


def search_query_normalized(*, query: str) -> str:
    """``query`` (a query string, possibly garbage) as a saved search keeps it."""
    return saved_query(search_filters(query=query))


def search_matches(*, query: str, limit: int = MATCHES_CONSIDERED) -> list[int]:
    """The ids of the published listings ``query`` finds now (free desks from its move-in
    date included), newest first. One query for the matches, whatever their number (and three
    for the filter's choices when this process has none for the content version)."""
    filters = search_filters(query=query)
    return list(filters.qs.order_by("-created_at", "-id").values_list("pk", flat=True)[:limit])


def saved_searches_for_user(*, user: User) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user=user).order_by("name", "id")


def saved_search_for_user(*, user: User, pk: int) -> SavedSearch | None:
    """``user``'s saved search ``pk``, or None (someone else's answers the same as none)."""
    return SavedSearch.objects.filter(user=user, pk=pk).first()


def saved_searches_due(*, day: str, week: str, after: int = 0, batch: int = 200) -> list[int]:
    """Ids (> ``after``, ascending, at most ``batch``) of the saved searches whose alert for
    the period ``day`` (daily) or ``week`` (weekly) has not been worked out yet."""
    daily = Q(frequency=SavedSearch.Frequency.DAILY) & ~Q(checked_period=day)
    weekly = Q(frequency=SavedSearch.Frequency.WEEKLY) & ~Q(checked_period=week)
    return list(
        SavedSearch.objects.filter(daily | weekly, pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )


def alert_listings(*, alert: Alert) -> list[Listing]:
    """The alert's listings that are still published, with their city and neighborhood, in
    the order the alert found them (one query)."""
    found = {
        listing.pk: listing
        for listing in Listing.objects.published()
        .filter(pk__in=alert.listing_ids)
        .select_related("city", "neighborhood")
        .defer("search_vector")
    }
    return [found[pk] for pk in alert.listing_ids if pk in found]


def period_day(today: datetime.date) -> str:
    return today.isoformat()


def period_week(today: datetime.date) -> str:
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"
