"""Forged changelist parameters and action ids in /host/ and /admin/: Django's "invalid lookup"
answer (a redirect to the unfiltered list with ?e=1), a 400, or the forged ids dropped with a
message. Never a 500, on SQLite or Postgres."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from accounts.models import User
from accounts.services import host_enable
from bookings.models import Booking
from bookings.tests.factories import BookingFactory
from listings.models import City, Listing

HUGE = "99999999999999999999"  # past the 64-bit range
NOTHING_SELECTED = "Items must be selected in order to perform actions on them."


@pytest.fixture
def host(world):
    return host_enable(user=world["host_a"])


@pytest.fixture
def booking(world):
    return BookingFactory(listing=world["listing_a"], start=datetime.date(2027, 3, 15))


def _as(user):
    client = Client()  # raises what would be a 500, so the test shows the traceback
    client.force_login(user)
    return client


def _user(site, host, operator):
    return host if site == "host" else operator


# --- date_hierarchy ("start" on bookings) --------------------------------------------------


@pytest.mark.parametrize("site", ["host", "admin"])
@pytest.mark.parametrize(
    "query",
    [
        "start__year=9999",  # the year's end would be in year 10000
        "start__year=9999&start__month=12",  # the month's end is after 9999-12-31
        "start__year=9999&start__month=12&start__day=31",
        f"start__year={HUGE}",
        f"start__year=2027&start__month={HUGE}",
        f"start__year=2027&start__month=3&start__day={HUGE}",
        "start__year=2027&start__month=13",  # Django's own check, unchanged
    ],
)
def test_forged_date_hierarchy_redirects_to_the_unfiltered_list(
    host, operator, booking, site, query
):
    client = _as(_user(site, host, operator))
    url = f"/{site}/bookings/booking/"
    response = client.get(f"{url}?{query}")
    assert response.status_code == 302
    assert response["Location"] == f"{url}?e=1"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [booking]


@pytest.mark.parametrize("site", ["host", "admin"])
def test_date_hierarchy_still_drills_down_to_the_last_month_there_is(host, operator, booking, site):
    client = _as(_user(site, host, operator))
    url = f"/{site}/bookings/booking/"
    march = client.get(f"{url}?start__year=2027&start__month=3")
    assert march.status_code == 200
    assert list(march.context["cl"].result_list) == [booking]
    last = client.get(f"{url}?start__year=9999&start__month=11&start__day=30")
    assert last.status_code == 200
    assert list(last.context["cl"].result_list) == []


# --- other filters in the URL --------------------------------------------------------------


@pytest.mark.parametrize("site", ["host", "admin"])
@pytest.mark.parametrize(
    "query",
    [
        "created_at__year=9999",
        "created_at__year=0",
        f"id__in={HUGE}",  # an OverflowError on SQLite; Postgres finds nothing
        f"desks__in=1,{HUGE}",
        f"available_from__year__gt={HUGE}",
        "status__exact=a%00b",  # a NUL: psycopg2 refuses to send it
    ],
)
def test_forged_field_lookups_are_an_invalid_lookup_or_find_nothing(
    host, operator, world, site, query
):
    client = _as(_user(site, host, operator))
    url = f"/{site}/listings/listing/"
    response = client.get(f"{url}?{query}")
    if response.status_code == 302:
        assert response["Location"] == f"{url}?e=1"
    else:
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("site", ["host", "admin"])
@pytest.mark.parametrize("query", ["title__regex=(", "title__iregex=[", "status__regex=%5B"])
def test_a_regex_in_the_url_is_refused(host, operator, world, site, query):
    # Postgres compiles it: a broken one was a DataError (a 500). The admin never links one.
    response = _as(_user(site, host, operator)).get(f"/{site}/listings/listing/?{query}")
    assert response.status_code == 400


# --- action ids -----------------------------------------------------------------------------

FORGED_IDS = [HUGE, f"-{HUGE}", "abc", "1.5", ""]


def _act(client, url, action, selected):
    # What the changelist's "Go" button posts.
    response = client.post(url, {"action": action, "index": "0", "_selected_action": selected})
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("forged", FORGED_IDS)
def test_host_actions_with_forged_ids_change_nothing_and_say_so(host, world, booking, forged):
    client = _as(host)
    said = _act(client, "/host/bookings/booking/", "approve_selected", [forged])
    assert any(NOTHING_SELECTED in message for message in said)
    said = _act(client, "/host/listings/listing/", "archive_listings", [forged])
    assert any(NOTHING_SELECTED in message for message in said)
    booking.refresh_from_db()
    world["listing_a"].refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED
    assert world["listing_a"].status == Listing.Status.PUBLISHED


def test_host_action_acts_on_the_real_ids_next_to_forged_ones(host, booking):
    said = _act(_as(host), "/host/bookings/booking/", "approve_selected", [HUGE, booking.pk, "abc"])
    assert "Approved 1 booking request." in said
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED


@pytest.mark.parametrize("forged", [HUGE, "abc"])
@pytest.mark.parametrize(
    ("model", "action"),
    [("listing", "delete_selected"), ("listing", "archive_listings"), ("city", "delete_selected")],
)
def test_operator_actions_with_forged_ids_change_nothing(operator, world, model, action, forged):
    said = _act(_as(operator), f"/admin/listings/{model}/", action, [forged])
    assert any(NOTHING_SELECTED in message for message in said)
    assert Listing.objects.filter(status=Listing.Status.PUBLISHED).count() == 2
    assert City.objects.count() == 2


@pytest.mark.parametrize("forged", [HUGE, "abc"])
@pytest.mark.parametrize("changelist", ["/admin/accounts/user/", "/admin/auth/group/"])
def test_operator_actions_on_accounts_with_forged_ids_change_nothing(operator, changelist, forged):
    users = User.objects.count()
    said = _act(_as(operator), changelist, "delete_selected", [forged])
    assert any(NOTHING_SELECTED in message for message in said)
    assert User.objects.count() == users


@pytest.mark.parametrize("query", ["date_joined__year=9999", "id__in=" + HUGE, "email__regex=("])
def test_forged_lookups_on_users_are_never_a_500(operator, query):
    # The test client raises what would be a 500. Postgres may simply find nothing (200).
    response = _as(operator).get(f"/admin/accounts/user/?{query}")
    assert response.status_code in (200, 302, 400), response.status_code
