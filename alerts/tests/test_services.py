import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from alerts.models import Alert, AlertedListing, SavedSearch
from alerts.services import (
    MAX_SAVED_SEARCHES,
    SAVED_SEARCH_NOT_YOURS,
    alerts_send,
    saved_search_alert,
    saved_search_create,
    saved_search_delete,
    saved_search_update,
)
from alerts.tests.factories import SavedSearchFactory
from bookings.services import booking_approve, booking_cancel, booking_request
from listings.models import Listing
from listings.tests.factories import CityFactory, ListingFactory, NeighborhoodFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2027, 3, 1)


@pytest.fixture
def places():
    boulder = CityFactory(name="Boulder")
    denver = CityFactory(name="Denver")
    return {
        "pearl": NeighborhoodFactory(city=boulder, name="Pearl Street"),
        "lodo": NeighborhoodFactory(city=denver, name="LoDo"),
    }


def test_saving_normalizes_the_query_like_the_search_page(places):
    guest = UserFactory()
    saved = saved_search_create(
        user=guest,
        name="  Boulder   desks ",
        query="desks=abc&city=boulder&sort=price&page=3&min_price=350.00&bogus=1",
    )
    # Garbage desks, the sort order, the page and unknown names are dropped; 350.00 is 350.
    assert saved.query == "city=boulder&min_price=350"
    assert saved.name == "Boulder desks"
    assert saved.search_url == "/spaces/?city=boulder&min_price=350"


def test_the_same_search_twice_is_refused_however_it_was_written(places):
    guest = UserFactory()
    saved_search_create(user=guest, name="A", query="city=boulder&type=hot_desk")
    with pytest.raises(ValidationError) as exc:
        saved_search_create(user=guest, name="B", query="type=hot_desk&city=boulder&sort=price")
    assert exc.value.code == "duplicate"
    assert SavedSearch.objects.count() == 1


def test_a_guest_keeps_at_most_the_limit(places):
    guest = UserFactory()
    for n in range(MAX_SAVED_SEARCHES):
        saved_search_create(user=guest, name=f"S{n}", query=f"desks={n + 1}")
    with pytest.raises(ValidationError):
        saved_search_create(user=guest, name="one more", query="desks=99")
    assert SavedSearch.objects.filter(user=guest).count() == MAX_SAVED_SEARCHES


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "nul\x00byte"])
def test_a_bad_name_is_refused_and_nothing_is_saved(places, name):
    with pytest.raises(ValidationError):
        saved_search_create(user=UserFactory(), name=name, query="city=boulder")
    assert not SavedSearch.objects.exists()


def test_what_matches_when_saved_is_not_news(places):
    ListingFactory(neighborhood=places["pearl"])
    saved = saved_search_create(user=UserFactory(), name="Boulder", query="city=boulder")
    assert saved_search_alert(saved_search_id=saved.pk, today=MONDAY) is None
    assert not Alert.objects.exists()


def test_an_alert_lists_new_matches_once_and_nothing_already_sent(places):
    old = ListingFactory(neighborhood=places["pearl"])
    saved = saved_search_create(user=UserFactory(), name="Boulder", query="city=boulder")
    new = ListingFactory(neighborhood=places["pearl"])
    ListingFactory(neighborhood=places["lodo"])  # another city: no match

    alert = saved_search_alert(saved_search_id=saved.pk, today=MONDAY)
    assert alert.listing_ids == [new.pk]
    assert old.pk not in alert.listing_ids
    # The next day nothing is new: no alert.
    assert (
        saved_search_alert(saved_search_id=saved.pk, today=MONDAY + datetime.timedelta(1)) is None
    )
    newer = ListingFactory(neighborhood=places["pearl"])
    alert = saved_search_alert(saved_search_id=saved.pk, today=MONDAY + datetime.timedelta(2))
    assert alert.listing_ids == [newer.pk]


def test_running_twice_in_a_period_sends_once(places):
    saved = SavedSearchFactory(query="city=boulder")
    ListingFactory(neighborhood=places["pearl"])
    now = timezone.make_aware(datetime.datetime(2027, 3, 1, 7, 0))
    assert alerts_send(now=now) == 1
    ListingFactory(neighborhood=places["pearl"])
    assert alerts_send(now=now + datetime.timedelta(hours=3)) == 0  # same day
    assert Alert.objects.filter(saved_search=saved).count() == 1
    assert alerts_send(now=now + datetime.timedelta(days=1)) == 1  # the next day's news


def test_weekly_searches_are_worked_out_once_per_iso_week(places):
    SavedSearchFactory(query="city=boulder", frequency=SavedSearch.Frequency.WEEKLY)
    ListingFactory(neighborhood=places["pearl"])
    monday = timezone.make_aware(datetime.datetime(2027, 3, 1, 7, 0))
    assert alerts_send(now=monday) == 1
    ListingFactory(neighborhood=places["pearl"])
    for day in range(1, 7):  # Tuesday to Sunday: the same week
        assert alerts_send(now=monday + datetime.timedelta(days=day)) == 0
    assert alerts_send(now=monday + datetime.timedelta(days=7)) == 1


def test_searches_with_emails_off_get_no_alert(places):
    SavedSearchFactory(query="", frequency=SavedSearch.Frequency.OFF)
    ListingFactory(neighborhood=places["pearl"])
    assert alerts_send() == 0


def test_a_listing_that_frees_the_desks_from_the_move_in_date_is_news(places):
    """Full from the wanted date when saved; a notice frees the desks; the alert says so."""
    host_listing = ListingFactory(neighborhood=places["pearl"], desks=4)
    today = timezone.localdate()
    tenant = UserFactory()
    booking = booking_request(
        guest=tenant, listing=host_listing, desks=4, start=today + datetime.timedelta(2), months=6
    )
    booking_approve(booking=booking, host=host_listing.host)
    move_in = today + datetime.timedelta(days=60)
    saved = saved_search_create(
        user=UserFactory(), name="4 desks", query=f"desks=4&move_in={move_in.isoformat()}"
    )
    assert saved_search_alert(saved_search_id=saved.pk, today=today) is None
    booking_cancel(booking=booking, by=tenant)  # before its start: cancelled, desks free
    alert = saved_search_alert(saved_search_id=saved.pk, today=today + datetime.timedelta(1))
    assert alert.listing_ids == [host_listing.pk]


def test_a_listing_that_stops_matching_and_comes_back_is_news_again(places):
    listing = ListingFactory(neighborhood=places["pearl"])
    saved = SavedSearchFactory(query="city=boulder")
    assert saved_search_alert(saved_search_id=saved.pk, today=MONDAY).listing_ids == [listing.pk]
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.ARCHIVED)
    assert (
        saved_search_alert(saved_search_id=saved.pk, today=MONDAY + datetime.timedelta(1)) is None
    )
    assert not AlertedListing.objects.filter(saved_search=saved).exists()
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.PUBLISHED)
    alert = saved_search_alert(saved_search_id=saved.pk, today=MONDAY + datetime.timedelta(2))
    assert alert.listing_ids == [listing.pk]


# A run asks for the due searches in batches: one batch, then the empty one that ends it.
RUN_QUERIES = 2
# The search form's choices (cities, neighborhoods, amenities): read once per run, when this
# process has no copy for the content version, and shared by every search of the run.
CHOICE_QUERIES = 3
# Each saved search: its savepoint and release, its row (locked), the matches, what it was
# told, forgetting what stopped matching, the alert, its listings, its email job, the period.
PER_SEARCH = 10


def _morning(day: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2027, 3, day, 7, 0))


def test_the_run_costs_the_same_queries_whatever_the_number_of_listings(
    places, django_capture_on_commit_callbacks
):
    def run_cost(listings: int, day: int) -> int:
        with django_capture_on_commit_callbacks(execute=True):  # new listings: a new version
            for _ in range(listings):
                ListingFactory(neighborhood=places["pearl"])
        with CaptureQueriesContext(connection) as queries:
            assert alerts_send(now=_morning(day)) == 2
        return len(queries)

    SavedSearchFactory(query="city=boulder")
    SavedSearchFactory(query="")
    assert run_cost(1, 1) == run_cost(15, 2) == RUN_QUERIES + CHOICE_QUERIES + 2 * PER_SEARCH


def test_the_run_costs_a_constant_per_saved_search(places, django_assert_num_queries):
    ListingFactory(neighborhood=places["pearl"])

    def run(searches: int, day: int, *, queries: int) -> None:
        SavedSearch.objects.update(frequency=SavedSearch.Frequency.OFF)  # only the new ones
        for _ in range(searches):
            SavedSearchFactory(query="city=boulder")
        with django_assert_num_queries(queries):
            assert alerts_send(now=_morning(day)) == searches

    # The choices are read for the first search, then shared: with them read per search,
    # four searches would cost 4 * (PER_SEARCH + CHOICE_QUERIES).
    run(4, 1, queries=RUN_QUERIES + CHOICE_QUERIES + 4 * PER_SEARCH)
    # The content version has not changed since: the next run reads no choices at all.
    run(1, 2, queries=RUN_QUERIES + PER_SEARCH)
    run(2, 3, queries=RUN_QUERIES + 2 * PER_SEARCH)


def test_a_run_sees_places_added_since_the_last_one(places, django_capture_on_commit_callbacks):
    """The shared choices follow the content version: a city added (and committed) between
    two runs is a valid filter in the next one, not dropped as unknown."""
    SavedSearchFactory(query="city=boulder")
    ListingFactory(neighborhood=places["pearl"])
    assert alerts_send(now=_morning(1)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        golden = NeighborhoodFactory(city=CityFactory(name="Golden"), name="Downtown Golden")
        in_golden = ListingFactory(neighborhood=golden)
    saved = SavedSearchFactory(query="city=golden")
    assert alerts_send(now=_morning(2)) == 1
    assert Alert.objects.get(saved_search=saved).listing_ids == [in_golden.pk]


def test_someone_elses_search_cannot_be_changed_or_deleted(places):
    saved = SavedSearchFactory()
    stranger = UserFactory()
    with pytest.raises(ValidationError, match=SAVED_SEARCH_NOT_YOURS):
        saved_search_update(saved_search=saved, user=stranger, name="Mine", frequency="off")
    with pytest.raises(ValidationError, match=SAVED_SEARCH_NOT_YOURS):
        saved_search_delete(saved_search=saved, user=stranger)
    saved.refresh_from_db()
    assert saved.frequency == SavedSearch.Frequency.DAILY


def test_rename_and_change_frequency(places):
    saved = SavedSearchFactory()
    saved_search_update(saved_search=saved, user=saved.user, name="Renamed", frequency="weekly")
    saved.refresh_from_db()
    assert (saved.name, saved.frequency) == ("Renamed", "weekly")
    with pytest.raises(ValidationError):
        saved_search_update(saved_search=saved, user=saved.user, name="X", frequency="hourly")
