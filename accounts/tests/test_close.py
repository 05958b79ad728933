"""Closing an account: refused while something is still running, else deactivated and
scrubbed, with what the other apps hold let go and the history kept."""

import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import FORMER_MEMBER, User
from accounts.selectors import account_close_blockers
from accounts.services import host_enable, user_close, user_create
from accounts.signals import account_close_lock, account_closed
from accounts.tests.conftest import PASSWORD
from accounts.tests.factories import UserFactory
from alerts.models import SavedSearch
from alerts.tests.factories import SavedSearchFactory
from bookings.models import Booking
from bookings.reviews import review_create
from bookings.tests.factories import BookingFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from teams.models import Invite, Membership
from teams.tests.factories import TeamFactory, add_member
from waitlist.models import WaitlistEntry
from waitlist.tests.factories import WaitlistEntryFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _today():
    return timezone.localdate()


def _member(**kwargs):
    return UserFactory(
        **{
            "email": "leaving@example.test",
            "name": "Lee Leaving",
            "company": "Gone Labs",
            "phone": "303-555-0142",
            "bio": "We moved to Ohio.",
            **kwargs,
        }
    )


def _past_booking(guest, **kwargs):
    start = _today() - 100 * DAY
    return BookingFactory(guest=guest, status="approved", start=start, months=2, **kwargs)


def _logged_in_id(client):
    return client.session.get("_auth_user_id")


# --- what a close does ----------------------------------------------------------------


def test_closing_scrubs_the_account_keeps_the_history_and_frees_the_address(run_jobs):
    member = _member()
    past = _past_booking(member)
    review = review_create(
        booking=past, guest=member, overall=5, space=5, host=5, value=4, text="Great coffee."
    )
    assert review.guest_name == "Lee"

    run_jobs()  # the host's email about the review
    mail.outbox.clear()

    user_close(user=member)
    assert mail.outbox == []  # the goodbye email is the worker's, after the commit
    run_jobs()

    member = User.objects.get(pk=member.pk)
    assert member.is_closed and not member.is_active and not member.is_staff
    assert (member.name, member.company, member.phone, member.bio) == ("", "", "", "")
    assert member.email == f"closed-{member.pk}@closed.invalid"
    assert not member.has_usable_password()
    assert member.display_name == FORMER_MEMBER
    # The history stays, pointing at the row, signed "Former member".
    assert Booking.objects.get(pk=past.pk).guest_id == member.pk
    review.refresh_from_db()
    assert (review.guest_name, review.overall, review.text) == (FORMER_MEMBER, 5, "Great coffee.")

    (goodbye,) = mail.outbox
    assert goodbye.to == ["leaving@example.test"]
    assert "Hi Lee Leaving" in goodbye.body and "account is closed" in goodbye.body

    # The old address and password log in no more; the address can sign up again.
    browser = Client()
    browser.post(
        reverse("accounts:login"), {"username": "leaving@example.test", "password": PASSWORD}
    )
    assert _logged_in_id(browser) is None
    again = user_create(email="Leaving@Example.test", password="flatirons-at-dawn-42")
    assert again.pk != member.pk and again.email == "leaving@example.test"


def test_the_host_sees_former_member_on_a_closed_guests_booking(client):
    member = _member()
    past = _past_booking(member)
    user_close(user=member)
    client.force_login(past.listing.host)
    page = client.get(past.get_absolute_url()).content.decode()
    assert FORMER_MEMBER in page
    assert "Lee Leaving" not in page and "Gone Labs" not in page


def test_closing_lets_go_of_listings_saved_searches_waitlists_and_teams():
    member = _member()
    published = ListingFactory(host=member)
    draft = ListingFactory(host=member, status=Listing.Status.DRAFT)
    other_listing = ListingFactory()
    SavedSearchFactory(user=member, query="city=boulder")
    SavedSearchFactory(user=member, query="city=denver")
    kept_search = SavedSearchFactory()
    waiting = WaitlistEntryFactory(guest=member, listing=other_listing)
    joined = TeamFactory()
    add_member(joined, member)
    own = TeamFactory(admin=member)  # the admin, alone
    Invite.objects.create(team=own, email="pal@example.test", invited_by=member)

    user_close(user=member)

    assert set(Listing.objects.filter(host=member).values_list("status", flat=True)) == {
        Listing.Status.ARCHIVED
    }
    assert {published.pk, draft.pk} == set(
        Listing.objects.filter(host=member).values_list("pk", flat=True)
    )
    assert list(SavedSearch.objects.all()) == [kept_search]
    waiting.refresh_from_db()
    assert waiting.status == WaitlistEntry.Status.LEFT
    assert not Membership.objects.filter(team=joined, user=member).exists()
    assert Membership.objects.filter(team=joined).count() == 1  # its admin stays
    assert list(own.invites.values_list("status", flat=True)) == [Invite.Status.REVOKED]
    own.refresh_from_db()
    joined.refresh_from_db()
    assert own.is_closed and not joined.is_closed  # the team they ran alone is closed too


def test_closing_locks_every_listing_it_touches_in_ascending_id_before_the_apps_let_go():
    """docs/decisions/0175: the host's spaces and the lines' spaces, in one ascending list,
    locked before any app's ``account_closed`` receiver runs (it may lock a team)."""
    member = _member()
    line_first = WaitlistEntryFactory(guest=member).listing
    own = ListingFactory(host=member)
    ListingFactory(host=member, status=Listing.Status.ARCHIVED)  # nothing to archive
    line_last = WaitlistEntryFactory(guest=member).listing
    add_member(TeamFactory(), member)
    seen = []

    def locking(sender, *, listing_ids, **kwargs):
        seen.append(("lock", listing_ids))

    def closed(sender, **kwargs):
        seen.append(("closed", None))

    account_close_lock.connect(locking, dispatch_uid="test-lock")
    account_closed.connect(closed, dispatch_uid="test-closed")
    try:
        user_close(user=member)
    finally:
        account_close_lock.disconnect(dispatch_uid="test-lock")
        account_closed.disconnect(dispatch_uid="test-closed")

    assert seen == [("lock", [line_first.pk, own.pk, line_last.pk]), ("closed", None)]


def test_a_closed_team_with_members_does_not_refuse_and_keeps_them():
    from teams.services import team_close

    member = _member()
    team = TeamFactory(admin=member, name="Done Crew")
    add_member(team)
    assert account_close_blockers(user=member) != []
    team_close(team=team, by=member)
    assert account_close_blockers(user=member) == []
    user_close(user=member)
    assert team.memberships.count() == 2  # a closed team's members stay, as its history


def test_the_closed_hosts_spaces_leave_the_public_pages(client):
    member = _member()
    listing = ListingFactory(host=member)
    assert client.get(listing.get_absolute_url()).status_code == 200
    user_close(user=member)
    assert client.get(listing.get_absolute_url()).status_code == 404


def test_closing_twice_changes_nothing_the_second_time(run_jobs):
    member = _member()
    first = user_close(user=member)
    second = user_close(user=member)
    run_jobs()
    assert first.closed_at == second.closed_at
    assert len(mail.outbox) == 1


# --- what refuses a close -------------------------------------------------------------


def _running(member):
    return BookingFactory(
        guest=member, status="approved", start=_today() - 10 * DAY, months=2
    ), "runs through"


def _future(member):
    return BookingFactory(guest=member, status="approved", start=_today() + 20 * DAY), "runs"


def _requested(member):
    return BookingFactory(guest=member, start=_today() + 20 * DAY), "waiting for the host's"


def _hosting_booked(member):
    listing = ListingFactory(host=member)
    return BookingFactory(listing=listing, status="approved", months=3), "is booked"


def _hosting_requested(member):
    listing = ListingFactory(host=member)
    return BookingFactory(listing=listing), "waiting for your answer"


def _team_admin(member):
    team = TeamFactory(admin=member, name="Rocket Crew")
    add_member(team)
    return team, "admin of Rocket Crew"


@pytest.mark.parametrize(
    "situation",
    [_running, _future, _requested, _hosting_booked, _hosting_requested, _team_admin],
)
def test_a_close_is_refused_while_something_runs_and_nothing_changes(situation, run_jobs):
    member = _member()
    ListingFactory(host=member, title="Second space")
    SavedSearchFactory(user=member)
    _thing, words = situation(member)

    with pytest.raises(ValidationError) as exc:
        user_close(user=member)
    run_jobs()

    assert any(words in message for message in exc.value.messages), exc.value.messages
    member = User.objects.get(pk=member.pk)
    assert member.is_active and not member.is_closed
    assert (member.email, member.name) == ("leaving@example.test", "Lee Leaving")
    assert not Listing.objects.filter(host=member, status=Listing.Status.ARCHIVED).exists()
    assert SavedSearch.objects.filter(user=member).exists()
    assert mail.outbox == []


@pytest.mark.parametrize("status", ["declined", "cancelled", "expired"])
def test_finished_requests_and_ended_bookings_do_not_refuse(status):
    member = _member()
    BookingFactory(guest=member, status=status, start=_today() + 20 * DAY)
    _past_booking(member)
    _past_booking(UserFactory(), listing=ListingFactory(host=member))
    assert account_close_blockers(user=member) == []
    assert user_close(user=member).is_closed


def test_a_team_members_bookings_made_by_others_do_not_refuse():
    member = _member()
    team = TeamFactory()
    add_member(team, member)
    BookingFactory(team=team, guest=team.memberships.get(role="admin").user, status="approved")
    assert user_close(user=member).is_closed


def test_the_blockers_are_one_query_per_app(django_assert_num_queries):
    member = _member()
    _running(member)
    _team_admin(member)
    # bookings, teams, payments and tours: one query each, however much each finds.
    with django_assert_num_queries(4):
        reasons = account_close_blockers(user=member)
    assert len(reasons) == 2


# --- the page -------------------------------------------------------------------------


def test_the_close_page_says_what_is_in_the_way_first(client):
    member = _member()
    booking, _ = _future(member)
    client.force_login(member)
    page = client.get(reverse("accounts:account_close"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Your booking #{booking.pk}" in html
    assert '<label for="id_password"' in html
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:account_close") in profile
    assert reverse("accounts:email_change") in profile


def test_closing_from_the_page_logs_out_everywhere(client):
    member = _member()
    other_device = Client()
    other_device.force_login(member)
    client.force_login(member)

    wrong = client.post(reverse("accounts:account_close"), {"password": "not-it"})
    assert wrong.status_code == 200
    assert "Your password was entered incorrectly" in wrong.content.decode()
    assert User.objects.get(pk=member.pk).is_active

    response = client.post(reverse("accounts:account_close"), {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert _logged_in_id(client) is None
    for browser in (client, other_device):
        page = browser.get(reverse("accounts:profile"))
        assert page.status_code == 302
        assert page["Location"].startswith(reverse("accounts:login"))


def test_a_refused_close_shows_the_reasons_on_the_form(client):
    member = _member()
    _team_admin(member)
    client.force_login(member)
    response = client.post(reverse("accounts:account_close"), {"password": PASSWORD})
    assert response.status_code == 200
    assert "admin of Rocket Crew" in response.content.decode()
    assert _logged_in_id(client) == str(member.pk)


def test_the_close_page_needs_a_login_and_is_rate_limited(client, settings):
    response = client.post(reverse("accounts:account_close"), {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))

    settings.ACCOUNT_RATE_PER_IP = "3/h"
    member = _member()
    client.force_login(member)
    for attempt in range(3):
        guess = client.post(reverse("accounts:account_close"), {"password": f"guess-{attempt}"})
        assert guess.status_code == 200
    response = client.post(reverse("accounts:account_close"), {"password": PASSWORD})
    assert response.status_code == 429 and response["Retry-After"]
    assert User.objects.get(pk=member.pk).is_active


# --- at once, on Postgres -------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_closes_at_once_close_once(postgres_only, round_):
    """Two tabs post the close form together: the user's row lock queues them, the second
    finds the account closed and changes nothing — one goodbye, one scrub."""
    member = _member()
    barrier = threading.Barrier(2)
    errors = []

    def close():
        try:
            barrier.wait(timeout=10)
            user_close(user=User.objects.get(pk=member.pk))
        except Exception as exc:  # noqa: BLE001 - any failure fails the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"

    assert errors == []
    assert User.objects.get(pk=member.pk).is_closed
    jobs = DBTaskResult.objects.filter(task_path="accounts.tasks.account_closed_email_send")
    assert jobs.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_email_change_and_a_close_at_once_leave_a_closed_scrubbed_account(postgres_only):
    from accounts.services import user_email_change

    member = _member()
    barrier = threading.Barrier(2)
    outcomes = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call(user=User.objects.get(pk=member.pk))
            outcomes.append("done")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(user_close,)),
        threading.Thread(
            target=run,
            args=(lambda user: user_email_change(user=user, new_email="late@example.test"),),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    member = User.objects.get(pk=member.pk)
    assert member.is_closed and member.email == f"closed-{member.pk}@closed.invalid"
    assert not User.objects.filter(email="late@example.test").exists()


def test_a_closed_guests_review_is_signed_former_member_on_the_cached_listing_page(
    django_capture_on_commit_callbacks,
):
    from django.core.wsgi import get_wsgi_application

    from pivotdesk.pagecache import PageCache
    from pivotdesk.tests.wsgi_util import wsgi_get

    member = _member()
    past = _past_booking(member)
    review_create(
        booking=past,
        guest=member,
        overall=4,
        space=4,
        host=4,
        value=4,
        text="Quiet corner, fast Wi-Fi.",
    )
    page_cache = PageCache(get_wsgi_application())
    detail = past.listing.get_absolute_url()
    assert "Lee ·" in wsgi_get(page_cache, detail).text
    assert wsgi_get(page_cache, detail).header("X-Page-Cache") == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        user_close(user=member)

    page = wsgi_get(page_cache, detail).text
    assert "Quiet corner, fast Wi-Fi." in page
    assert f"{FORMER_MEMBER} ·" in page and "Lee ·" not in page


# --- money, tours, offers and feeds ---------------------------------------------------


def _charge(booking, **kwargs):
    from payments.models import Charge

    return Charge.objects.create(
        booking=booking,
        period_start=booking.start,
        period_end=booking.end,
        desks=booking.desks,
        rent_cents=35000,
        fee_cents=3500,
        **kwargs,
    )


@pytest.mark.parametrize("side", ["guest", "host"])
def test_money_not_settled_refuses_a_close_until_it_is(side):
    from payments.models import Charge, DepositSettlement

    member = _member()
    ended = (
        _past_booking(member)
        if side == "guest"
        else _past_booking(UserFactory(), listing=ListingFactory(host=member))
    )
    due = _charge(ended, status=Charge.Status.DUE)
    words = "payment for your booking" if side == "guest" else "still being collected"
    assert words in account_close_blockers(user=member)[0]

    due.status = Charge.Status.PAID
    due.deposit_cents = 70000
    due.save()
    (reason,) = account_close_blockers(user=member)
    assert ("deposit of your booking" if side == "guest" else "is not settled yet") in reason
    with pytest.raises(ValidationError):
        user_close(user=member)

    settlement = DepositSettlement.objects.create(booking=ended, held_cents=70000)
    assert len(account_close_blockers(user=member)) == 1  # a refund on its way is not back
    settlement.status = DepositSettlement.Status.REFUNDED
    settlement.save()
    assert account_close_blockers(user=member) == []
    assert user_close(user=member).is_closed


def test_tours_still_to_come_refuse_a_close_and_past_ones_do_not():
    from tours.tests.factories import TourFactory

    member = _member()
    now = timezone.now()
    TourFactory(guest=member, starts_at=now - 3 * DAY)
    TourFactory(listing=ListingFactory(host=member), starts_at=now - 2 * DAY)
    assert account_close_blockers(user=member) == []

    TourFactory(guest=member, starts_at=now + 2 * DAY, listing__title="Loft on Walnut")
    TourFactory(listing=ListingFactory(host=member, title="My garage"), starts_at=now + 3 * DAY)
    reasons = account_close_blockers(user=member)
    assert len(reasons) == 2
    assert reasons[0].startswith("You have a tour of Loft on Walnut on ")
    assert reasons[1].startswith("Your space My garage has a tour booked on ")


def test_an_open_waitlist_offer_is_declined_and_goes_to_the_next_guest(run_jobs):
    from waitlist.tests.test_services import offered

    listing, entry, behind = offered(run_jobs)
    user_close(user=entry.guest)
    run_jobs()
    entry.refresh_from_db()
    behind.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.DECLINED
    assert behind.status == WaitlistEntry.Status.OFFERED


def test_a_closed_hosts_calendar_feed_stops_working(client, django_capture_on_commit_callbacks):
    from calendars.services import calendar_feed_get_or_create

    member = host_enable(user=_member())
    feed = calendar_feed_get_or_create(host=member)
    path = feed.get_absolute_url()
    assert client.get(path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        user_close(user=member)
    assert client.get(path).status_code == 404


def _closed_member():
    member = _member()
    user_close(user=member)
    return member  # the caller's copy, as a tab opened before the close holds it


@pytest.mark.parametrize("write", ["request", "tour", "line", "saved search"])
def test_a_closed_account_can_start_nothing_new(write):
    """A tab left open across the close: whatever it submits is refused with a sentence for
    the form (docs/decisions/0155), and nothing is made for the closed account."""
    from accounts.services import ACCOUNT_CLOSED
    from alerts.services import saved_search_create
    from bookings.services import booking_request
    from tours.services import tour_book
    from tours.tests.factories import open_every_day
    from tours.tests.helpers import days_ahead, local, move_in
    from waitlist.services import waitlist_join

    member = _closed_member()
    listing = open_every_day(ListingFactory(desks=1))
    calls = {
        "request": lambda: booking_request(
            guest=member, listing=listing, desks=1, start=days_ahead(10), months=2
        ),
        "tour": lambda: tour_book(
            guest=member,
            listing=listing,
            starts_at=local(days_ahead(3), 10),
            desks=1,
            move_in=move_in(),
        ),
        "line": lambda: waitlist_join(
            guest=member, listing=listing, desks=1, start=days_ahead(10), months=2
        ),
        "saved search": lambda: saved_search_create(user=member, name="Desks", query="desks=2"),
    }
    with pytest.raises(ValidationError) as refused:
        calls[write]()
    assert refused.value.messages == [ACCOUNT_CLOSED]
    assert refused.value.code == "closed"
    assert not Booking.objects.filter(guest_id=member.pk).exists()
    assert not WaitlistEntry.objects.filter(guest_id=member.pk).exists()
    assert not SavedSearch.objects.filter(user_id=member.pk).exists()
