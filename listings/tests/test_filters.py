"""Each /spaces/ filter returns only the listings that match it (run on Postgres in CI)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from listings.models import City, Listing
from listings.tests.factories import (
    AmenityFactory,
    CityFactory,
    ListingFactory,
    NeighborhoodFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def spaces():
    """Five published listings that differ in one thing each, and one draft."""
    pearl = NeighborhoodFactory(name="Pearl Street")
    nobo = NeighborhoodFactory(name="NoBo", city=pearl.city)
    lodo = NeighborhoodFactory(name="LoDo", city=CityFactory(name="Denver"))
    wifi, coffee, parking = (
        AmenityFactory(name="Fast Wi-Fi", slug="wifi"),
        AmenityFactory(name="Espresso bar", slug="coffee"),
        AmenityFactory(name="Parking", slug="parking"),
    )
    made = {
        "pearl": ListingFactory(
            neighborhood=pearl,
            title="Quiet desks by the creek",
            slug="quiet",
            space_type=Listing.SpaceType.HOT_DESK,
            desks=2,
            price_per_desk=Decimal("200"),
            available_from=TODAY,
            description="Calm room.",
        ),
        "nobo": ListingFactory(
            neighborhood=nobo,
            title="Big dedicated desks",
            slug="big",
            space_type=Listing.SpaceType.DEDICATED_DESK,
            desks=12,
            price_per_desk=Decimal("450"),
            available_from=TODAY + datetime.timedelta(days=40),
            description="Room for a growing team.",
        ),
        "lodo": ListingFactory(
            neighborhood=lodo,
            title="Private office in a brick warehouse",
            slug="office",
            space_type=Listing.SpaceType.PRIVATE_OFFICE,
            desks=6,
            price_per_desk=Decimal("700"),
            available_from=TODAY + datetime.timedelta(days=10),
            description="Your own door and a whiteboard wall.",
        ),
    }
    made["pearl"].amenities.set([wifi, coffee])
    made["nobo"].amenities.set([wifi])
    made["lodo"].amenities.set([wifi, coffee, parking])
    ListingFactory(neighborhood=pearl, slug="draft", status=Listing.Status.DRAFT, desks=50)
    return made


def slugs(client, query=""):
    response = client.get(f"/spaces/{query}")
    assert response.status_code == 200
    return [listing.slug for listing in response.context["listings"]]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"quiet", "big", "office"}),
        ("?city=boulder", {"quiet", "big"}),
        ("?city=denver", {"office"}),
        ("?neighborhood=nobo", {"big"}),
        ("?city=boulder&neighborhood=pearl-street", {"quiet"}),
        ("?type=hot_desk", {"quiet"}),
        ("?type=private_office", {"office"}),
        ("?desks=6", {"big", "office"}),
        ("?desks=7", {"big"}),
        ("?min_price=450", {"big", "office"}),
        ("?max_price=450", {"quiet", "big"}),
        ("?min_price=300&max_price=500", {"big"}),
        (f"?move_in={TODAY.isoformat()}", {"quiet"}),
        (f"?move_in={(TODAY + datetime.timedelta(days=10)).isoformat()}", {"quiet", "office"}),
        ("?amenities=coffee", {"quiet", "office"}),
        ("?amenities=coffee&amenities=parking", {"office"}),
        ("?amenities=wifi&amenities=wifi&amenities=wifi", {"quiet", "big", "office"}),
        ("?city=boulder&desks=2&type=dedicated_desk", {"big"}),
    ],
)
def test_each_filter_returns_only_matching_published_listings(client, spaces, query, expected):
    assert set(slugs(client, query)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("creek", {"quiet"}),  # title
        ("whiteboard", {"office"}),  # description
        ("NoBo", {"big"}),  # neighborhood
        ("espresso", {"quiet", "office"}),  # amenity name
        ("warehouse office", {"office"}),  # every word must match
        ("zeppelin", set()),
    ],
)
def test_text_search_looks_in_title_description_neighborhood_and_amenities(
    client, spaces, text, expected
):
    assert set(slugs(client, f"?q={text}")) == expected


def test_text_search_ranks_title_above_description(client, postgres_only):
    ListingFactory(slug="in-description", title="Plain desks", description="Near the river.")
    ListingFactory(slug="in-title", title="River view desks", description="Plain room.")
    assert slugs(client, "?q=river") == ["in-title", "in-description"]


def test_search_document_follows_renamed_neighborhood_and_new_amenities(
    client, postgres_only, django_capture_on_commit_callbacks
):
    listing = ListingFactory(slug="followed", description="Plain room.")
    assert slugs(client, "?q=sauna") == []
    # Each edit commits (and so bumps the content version) before the next search.
    with django_capture_on_commit_callbacks(execute=True):
        listing.amenities.add(AmenityFactory(name="Sauna"))
    assert slugs(client, "?q=sauna") == ["followed"]
    with django_capture_on_commit_callbacks(execute=True):
        listing.amenities.clear()
    assert slugs(client, "?q=sauna") == []
    hood = listing.neighborhood
    hood.name = "Whittier"
    with django_capture_on_commit_callbacks(execute=True):
        hood.save()
    assert slugs(client, "?q=whittier") == ["followed"]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("price", ["quiet", "big", "office"]),
        ("-price", ["office", "big", "quiet"]),
        ("newest", ["office", "big", "quiet"]),
        ("", ["office", "big", "quiet"]),
    ],
)
def test_sort(client, spaces, sort, expected):
    assert slugs(client, f"?sort={sort}") == expected


def test_neighborhood_choices_are_grouped_by_city_and_follow_the_chosen_city(client, spaces):
    response = client.get("/spaces/?city=boulder&neighborhood=lodo")
    html = response.content.decode()
    assert '<optgroup label="Boulder">' in html and '<optgroup label="Denver">' in html
    # LoDo is in Denver: the neighborhood is ignored (with a note), the city is kept.
    assert set(slugs(client, "?city=boulder&neighborhood=lodo")) == {"quiet", "big"}
    assert "LoDo is not in Boulder" in html


def test_text_search_predicate_can_use_the_gin_index(postgres_only):
    from django.contrib.postgres.search import SearchQuery
    from django.db import connection

    ListingFactory(title="Indexed desks")
    # The predicate filter_text uses, on its own (the page adds status/city filters).
    query = SearchQuery("indexed", search_type="websearch", config="english")
    queryset = Listing.objects.filter(search_vector=query)
    with connection.cursor() as cursor:
        # Few rows make a sequential scan cheaper; forbid it to see that the index fits. Plain
        # index scans too: with some statistics a full scan of another index (filtering each
        # row) looks cheaper; GIN is used through bitmap scans.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        try:
            plan = queryset.explain()
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexscan")
    assert "listing_search" in plan


def test_counting_a_search_can_read_the_count_index_alone(postgres_only, rf):
    # Every uncached search counts its matches; listing_search_count (migration 0003) holds
    # every column that count reads, filters and the free-desks check included.
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from listings.filters import ListingFilter
    from listings.selectors import listing_search

    ListingFactory(space_type=Listing.SpaceType.HOT_DESK, desks=6, price_per_desk=300)
    request = rf.get("/spaces/?city=boulder&type=hot_desk&min_price=150&max_price=450&desks=4")
    request.user = AnonymousUser()
    queryset = listing_search(filters=ListingFilter(request.GET, request=request))
    with CaptureQueriesContext(connection) as queries:
        assert queryset.count() == 1
    with connection.cursor() as cursor:
        # A handful of rows makes any scan cheap: leave the planner only index-only scans, so
        # the plan shows whether this index has all the count needs.
        for scan in ("seqscan", "bitmapscan", "indexscan"):
            cursor.execute(f"SET enable_{scan} = off")
        try:
            cursor.execute(f"EXPLAIN {queries.captured_queries[-1]['sql']}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            for scan in ("seqscan", "bitmapscan", "indexscan"):
                cursor.execute(f"RESET enable_{scan}")
    assert "Index Only Scan using listing_search_count on listings_listing" in plan


@pytest.mark.parametrize(
    "query",
    [
        "",
        "city=boulder&neighborhood=lodo",
        "neighborhood=lodo&sort=-price&amenities=wifi",
        "city=nowhere&type=office&sort=cheapest&amenities=wifi&amenities=bogus",
    ],
)
def test_the_form_markup_is_what_django_widgets_render(client, spaces, query):
    # The page writes the selects and checkboxes itself (faster than a widget template per
    # option): same elements, values, selection, ids and error attributes as the widgets.
    from django.http import QueryDict
    from django.test import SimpleTestCase

    from listings.filters import ListingFilter

    same = SimpleTestCase().assertHTMLEqual
    filters = ListingFilter(QueryDict(query))
    form = filters.display_form()
    for name in ("city", "neighborhood", "type", "sort"):
        field = form[name]
        same(filters.widget_markup(name), str(field) + (str(field.errors) if field.errors else ""))
    page = client.get(f"/spaces/?{query}").content.decode()
    checkboxes = re.findall(r'<input type="checkbox" name="amenities"[^>]*>', page)
    same("".join(checkboxes), "".join(box.tag() for box in form["amenities"]))


def test_the_form_widgets_are_written_once_per_choice_made(client, spaces):
    # Kept per process and content version by the values they show: a search that made the
    # same choices writes none of them again, whatever its other filters; a changed choice
    # writes that one select; a field with errors is written each time and never kept.
    from django.test.signals import template_rendered

    written = []

    def record(sender, template, **kwargs):
        if template.name.startswith("listings/includes/filter_"):
            written.append(template.name)

    def writes(query):
        written.clear()
        page = client.get(f"/spaces/?{query}").content.decode()
        return len(written), page

    template_rendered.connect(record)
    try:
        assert writes("city=boulder&min_price=100")[0] == 6  # 5 selects, the checkboxes
        assert writes("city=boulder&min_price=200&desks=2&page=2")[0] == 0
        count, page = writes("city=denver&min_price=200")
        assert count == 1
        assert '<option value="denver" selected>Denver</option>' in page
        for _ in range(2):
            count, page = writes("city=nowhere")
            assert count == 1
            assert 'name="city" data-city-select="" aria-invalid="true"' in page
        count, page = writes("")
        assert count == 1  # nothing chosen: one select shows another value than before
        assert 'aria-invalid="true"' not in page
    finally:
        template_rendered.disconnect(record)


def test_the_form_offers_a_new_neighborhood_on_the_next_search(
    client, spaces, django_capture_on_commit_callbacks
):
    # The choices are kept per process and content version: a new one bumps the version.
    assert "Whittier" not in client.get("/spaces/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        NeighborhoodFactory(name="Whittier", city=City.objects.get(name="Denver"))
    assert '<option value="whittier">Whittier</option>' in client.get("/spaces/").content.decode()
    # The form class is kept per version too: the new choice validates.
    page = client.get("/spaces/?city=denver&neighborhood=whittier").content.decode()
    assert "We have no neighborhood by that name" not in page
    assert 'aria-label="Remove filter: Whittier"' in page  # applied, shown as active
