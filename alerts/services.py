"""Writes for saved searches and their alerts.

An alert tells a guest about listings their saved search finds that it has not told them
about: listings new to the search (just published, price lowered) or newly with the desks
free from the wanted move-in date. What was told is kept per search (``AlertedListing``);
a listing that stops matching is forgotten, so it is news again if it comes back. Each
saved search is worked out once per period (a day, or an ISO week), under its row lock, and
the alert email is a job written in the same transaction: running the job twice, or two
clocks at once, sends once.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import member_lock
from pivotdesk.emails import validate_single_line

from .emails import alert_email_send
from .links import unsubscribe_search
from .models import NAME_MAX_LENGTH, QUERY_MAX_LENGTH, Alert, AlertedListing, SavedSearch
from .selectors import (
    period_day,
    period_week,
    saved_searches_due,
    search_matches,
    search_query_normalized,
)

MAX_SAVED_SEARCHES = 20

SAVED_SEARCH_NAME_EMPTY = "Give this search a name."
SAVED_SEARCH_NAME_TOO_LONG = f"Use at most {NAME_MAX_LENGTH} characters for the name."
SAVED_SEARCH_TOO_MANY = (
    f"You can keep {MAX_SAVED_SEARCHES} saved searches. Delete one you no longer need first."
)
SAVED_SEARCH_DUPLICATE = "You have already saved this search as “{name}”."
SAVED_SEARCH_TOO_LONG = "This search has too many filters to save. Remove a few and try again."
SAVED_SEARCH_NOT_YOURS = "This saved search is not yours."
UNSUBSCRIBE_INVALID = (
    "This unsubscribe link is not valid (it was changed, or it is too old). Log in to turn "
    "off alerts on your saved searches page."
)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": SAVED_SEARCH_NAME_EMPTY})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": SAVED_SEARCH_NAME_TOO_LONG})
    validate_single_line(name)  # it is an email's subject
    return name


@transaction.atomic
def saved_search_create(
    *, user: User, name: str, query: str, frequency: str = SavedSearch.Frequency.DAILY
) -> SavedSearch:
    """Save ``query`` (a /spaces/ query string; invalid filters are dropped exactly as the
    search page drops them) for ``user``. What it finds now counts as already seen: the
    first alert tells only what is new after saving."""
    # Locks the user's row: two saves at once count each other against the limit, and a
    # save waits for a close in flight and is then refused (a closed account saves nothing).
    member_lock(user=user)
    query = search_query_normalized(query=query)
    if len(query) > QUERY_MAX_LENGTH:
        raise ValidationError(SAVED_SEARCH_TOO_LONG)
    same = SavedSearch.objects.filter(user=user, query=query).first()
    if same is not None:
        raise ValidationError(SAVED_SEARCH_DUPLICATE.format(name=same.name), code="duplicate")
    if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES:
        raise ValidationError(SAVED_SEARCH_TOO_MANY)
    saved = SavedSearch(user=user, name=_clean_name(name), query=query, frequency=frequency)
    saved.full_clean()
    saved.save()
    AlertedListing.objects.bulk_create(
        AlertedListing(saved_search=saved, listing_id=pk) for pk in search_matches(query=query)
    )
    return saved


@transaction.atomic
def saved_search_update(
    *, saved_search: SavedSearch, user: User, name: str, frequency: str
) -> SavedSearch:
    """Rename ``saved_search`` or change how often it emails (``off``: never)."""
    if saved_search.user_id != user.pk:
        raise ValidationError(SAVED_SEARCH_NOT_YOURS)
    saved = SavedSearch.objects.select_for_update().get(pk=saved_search.pk)
    saved.name = _clean_name(name)
    saved.frequency = frequency
    saved.full_clean()
    saved.save(update_fields=["name", "frequency", "updated_at"])
    return saved


@transaction.atomic
def saved_search_delete(*, saved_search: SavedSearch, user: User) -> None:
    """Delete ``saved_search`` with what it remembers; an alert still queued is not sent."""
    if saved_search.user_id != user.pk:
        raise ValidationError(SAVED_SEARCH_NOT_YOURS)
    SavedSearch.objects.filter(pk=saved_search.pk).delete()


@transaction.atomic
def saved_searches_account_closed(sender, *, user: User, **kwargs) -> None:
    """Receiver of ``accounts.signals.account_closed``: ``user``'s saved searches are
    deleted, with their alerts (no alert goes out to a closed account)."""
    for saved_search in SavedSearch.objects.filter(user_id=user.pk):
        saved_search_delete(saved_search=saved_search, user=user)


@transaction.atomic
def saved_search_unsubscribe(*, token: str) -> SavedSearch:
    """Turn off the emails of the saved search ``token`` names (no login: the token is the
    proof). The search itself stays, for its owner's page. Idempotent."""
    saved = unsubscribe_search(token=token)
    if saved is None:
        raise ValidationError(UNSUBSCRIBE_INVALID, code="invalid")
    saved = SavedSearch.objects.select_for_update().get(pk=saved.pk)
    if saved.frequency != SavedSearch.Frequency.OFF:
        saved.frequency = SavedSearch.Frequency.OFF
        saved.save(update_fields=["frequency", "updated_at"])
    return saved


def _period(saved: SavedSearch, today: datetime.date) -> str:
    if saved.frequency == SavedSearch.Frequency.WEEKLY:
        return period_week(today)
    return period_day(today)


@transaction.atomic
def saved_search_alert(*, saved_search_id: int, today: datetime.date) -> Alert | None:
    """Work out ``saved_search_id``'s alert for the period of ``today``: record what is new,
    forget what no longer matches, and queue the email (in this transaction) when something
    is new. None when nothing is new, or the period was already worked out (by this run, an
    earlier one, or one running now: its row is skipped while locked)."""
    saved = (
        SavedSearch.objects.select_for_update(skip_locked=True)
        .filter(pk=saved_search_id)
        .exclude(frequency=SavedSearch.Frequency.OFF)
        .first()
    )
    if saved is None:
        return None
    period = _period(saved, today)
    if saved.checked_period == period:
        return None
    matches = search_matches(query=saved.query)
    told = set(
        AlertedListing.objects.filter(saved_search=saved).values_list("listing_id", flat=True)
    )
    AlertedListing.objects.filter(saved_search=saved).exclude(listing_id__in=matches).delete()
    new = [pk for pk in matches if pk not in told]
    alert = None
    if new:
        alert = Alert.objects.create(saved_search=saved, period=period, listing_ids=new)
        AlertedListing.objects.bulk_create(
            AlertedListing(saved_search=saved, listing_id=pk, alert=alert) for pk in new
        )
        alert_email_send.enqueue(alert_id=alert.pk)
    saved.checked_period = period
    saved.save(update_fields=["checked_period"])
    return alert


def alerts_send(*, now: datetime.datetime | None = None) -> int:
    """Work out every due saved search's alert (daily ones each day, weekly ones once per
    ISO week, America/Denver); return how many alerts were queued. A constant number of
    queries per saved search, whatever the number of listings; one transaction each, so a
    failure leaves the others done and the next run picks it up."""
    today = timezone.localdate(now or timezone.now())
    day, week = period_day(today), period_week(today)
    queued, after = 0, 0
    while due := saved_searches_due(day=day, week=week, after=after):
        for pk in due:
            queued += saved_search_alert(saved_search_id=pk, today=today) is not None
        after = due[-1]
    return queued


DEMO_SEARCH_NAME = "Boulder, 2+ desks"
DEMO_SEARCH_QUERY = "city=boulder&desks=2"


def demo_saved_search(*, guest: User) -> SavedSearch | None:
    """The demo guest's saved search (seed_demo), unless they have one already."""
    if SavedSearch.objects.filter(user=guest).exists():
        return None
    return saved_search_create(user=guest, name=DEMO_SEARCH_NAME, query=DEMO_SEARCH_QUERY)
