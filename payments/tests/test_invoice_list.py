"""/payments/invoices/: every invoice a member may open (their own bookings', their teams'
while they are members, their spaces'), newest first, 25 a page, by team and year."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from payments.collect import booking_collect, charges_schedule
from payments.models import Charge
from teams.services import member_remove
from teams.tests.factories import TeamFactory, add_member

from .helpers import running_booking, save_card

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/payments/invoices/"  # the public URL (name: payments:invoices)
# The session, its user, the member's teams, the years, the count, the page's rows.
INVOICE_LIST_QUERIES = 6


ROW = re.compile(r'<td data-label="Invoice"><a href="/payments/invoices/\d+/">(PD-\d+)</a>')


def numbers(response) -> list[str]:
    """The invoice numbers the page lists, in its order."""
    return ROW.findall(response.content.decode())


def written(*, started_days_ago: int, months: int, team=None) -> list[Charge]:
    """The charges owed by an approved booking up to today (pending: nothing collected)."""
    booking = running_booking(started_days_ago=started_days_ago, months=months)
    if team is not None:
        booking.team = team
        booking.save(update_fields=["team"])
        add_member(team, booking.guest)
    return charges_schedule(booking=booking, today=timezone.localdate())


@pytest.fixture
def world(localstripe):
    """A member's own paid booking, their team's booking (made by another member), a booking
    of a team they never joined, and a stranger's booking; each one month, paid."""
    member = UserFactory()
    team = TeamFactory(name="Rocket Crew", admin=member)
    other_team = TeamFactory(name="Other Crew")

    def paid(*, guest=None, team=None) -> Charge:
        booking = running_booking(started_days_ago=40, months=1)
        if guest is not None:
            booking.guest = guest
        booking.team = team
        booking.save(update_fields=["guest", "team"])
        if team is not None and guest is None:
            add_member(team, booking.guest)
        save_card(localstripe, booking.guest)
        (charge,) = booking_collect(booking_id=booking.pk, today=booking.start)
        return charge

    return {
        "member": member,
        "team": team,
        "own": paid(guest=member),
        "teams": paid(team=team),
        "other_team": paid(team=other_team),
        "other_team_obj": other_team,
        "strangers": paid(),
    }


def test_a_member_sees_their_own_and_their_teams_invoices_and_no_one_elses(client, world):
    client.force_login(world["member"])
    response = client.get(URL)
    assert response.status_code == 200
    assert numbers(response) == [world["teams"].number, world["own"].number]  # newest first
    body = response.content.decode()
    assert "<caption>Invoices, newest first</caption>" in body
    assert '<td data-label="Team">Rocket Crew</td>' in body
    assert '<td data-label="Amount">$1,400.00</td>' in body
    assert f'<a href="/bookings/{world["own"].booking_id}/">#{world["own"].booking_id}</a>' in body
    assert world["other_team"].number not in body and world["strangers"].number not in body
    assert "Other Crew" not in body
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]


def test_the_team_filter_shows_the_teams_invoices_only(client, world):
    client.force_login(world["member"])
    response = client.get(URL, {"team": world["team"].pk})
    assert numbers(response) == [world["teams"].number]
    assert "<h1>Rocket Crew's invoices</h1>" in response.content.decode()


def test_a_member_who_left_the_team_no_longer_sees_its_invoices(client, world):
    maker = world["teams"].booking.guest
    client.force_login(maker)
    assert numbers(client.get(URL)) == [world["teams"].number]
    member_remove(team=world["team"], by=maker, user=maker)
    response = client.get(URL)
    assert response.status_code == 200 and numbers(response) == []
    assert world["teams"].number not in response.content.decode()
    # Its filter is not theirs any more either.
    assert client.get(URL, {"team": world["team"].pk}).status_code == 404


def test_a_forged_team_filter_shows_nothing_of_that_team(client, world):
    client.force_login(world["member"])
    other = world["other_team_obj"]
    assert len(numbers(client.get(URL, {"team": ""}))) == 2  # "All"
    for forged in (other.pk, "999999999", "99999999999999999999", "-1", "1x", " ", "\x00"):
        response = client.get(URL, {"team": forged})
        assert response.status_code == 404, forged
        assert world["other_team"].number.encode() not in response.content
    stranger = UserFactory()
    client.force_login(stranger)
    response = client.get(URL, {"team": world["team"].pk})
    assert response.status_code == 404
    assert world["teams"].number.encode() not in response.content


def test_the_list_is_what_the_member_pays_not_what_they_may_open(client, world):
    # The host opens their guests' invoices (and has the statement), but does not pay them.
    host = world["own"].booking.listing.host
    client.force_login(host)
    assert client.get(world["own"].get_absolute_url()).status_code == 200
    assert numbers(client.get(URL)) == []
    # An operator may open every invoice; their list is still their own.
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert numbers(client.get(URL)) == []


def test_the_year_filter(client, world):
    client.force_login(world["member"])
    this_year = timezone.localdate().year
    response = client.get(URL, {"year": this_year})
    assert numbers(response) == [world["teams"].number, world["own"].number]
    assert f'<option value="{this_year}" selected>{this_year}</option>' in response.content.decode()
    response = client.get(URL, {"year": this_year - 1})
    assert response.status_code == 200 and numbers(response) == []
    assert b"No invoices here." in response.content
    for garbage in ("twenty", "0", "1", "9999", "99999", "2026.5", "\x00"):
        assert client.get(URL, {"year": garbage}).status_code == 404, garbage


def test_refunds_read_as_status_and_net(client, world):
    charge = world["own"]
    charge.status, charge.refunded_cents = Charge.Status.REFUNDED, 50000
    charge.save(update_fields=["status", "refunded_cents"])
    client.force_login(world["member"])
    body = client.get(URL).content.decode()
    assert '<td data-label="Status">Partly refunded, net paid $900.00</td>' in body
    assert '<td data-label="Status">Paid</td>' in body


@pytest.fixture
def many():
    """One member's 30 invoices (written, not collected): a booking 30 months in."""
    charges = written(started_days_ago=29 * 31, months=31)
    assert len(charges) == 30
    return charges


def test_pagination_25_a_page_newest_first_and_garbage_pages(client, many):
    client.force_login(many[0].booking.guest)
    newest = [c.number for c in sorted(many, key=lambda c: c.pk, reverse=True)]
    first = client.get(URL)
    assert numbers(first) == newest[:25]
    assert 'href="?page=2" rel="next"' in first.content.decode()
    second = client.get(URL, {"page": "2"})
    assert numbers(second) == newest[25:]
    assert "Page 2 of 2" in second.content.decode()
    for garbage in ("x", "", "-1", "0", "1" * 40, "2.0", "\x00", "９"):
        response = client.get(URL, {"page": garbage})
        assert response.status_code == 200, garbage
        assert numbers(response) in (newest[:25], newest[25:]), garbage
    assert numbers(client.get(URL, {"page": "999"})) == newest[25:]  # past the end: the last
    # A filter stays on the page links.
    this_year = timezone.localdate().year
    body = client.get(URL, {"year": this_year}).content.decode()
    assert f'href="?year={this_year}&amp;page=2" rel="next"' in body


def test_the_page_costs_the_same_queries_however_many_rows_and_teams(
    client, django_assert_max_num_queries
):
    team = TeamFactory()
    charges = written(started_days_ago=40, months=2, team=team)
    member = charges[0].booking.guest
    client.force_login(member)
    with django_assert_max_num_queries(INVOICE_LIST_QUERIES) as few:
        assert len(numbers(client.get(URL))) == 2
    for _ in range(3):
        other = TeamFactory(admin=member)
        charges += written(started_days_ago=5 * 31, months=6, team=other)
        add_member(other)
    add_member(team)
    with CaptureQueriesContext(connection) as more:
        assert len(numbers(client.get(URL))) == len(charges) > 2
    assert len(more) == len(few)


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_linked_from_the_profile_and_the_team_page(client, world):
    client.force_login(world["member"])
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert f'<a href="{URL}">Your invoices</a>' in profile
    page = client.get(world["team"].get_absolute_url()).content.decode()
    assert f'<a href="{URL}?team={world["team"].pk}">Team invoices</a>' in page
