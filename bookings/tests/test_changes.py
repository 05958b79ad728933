"""Growing or shrinking a running booking from its next booking month: the team asks, the
host answers in /host/; an approved change ends the booking that day and continues it as a
linked booking, so every capacity count holds for the rest of the term."""

import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings import changes, rules, services
from bookings.models import Booking, BookingChange, BookingEvent, add_months
from bookings.selectors import desks_free_between
from listings.services import listing_lock
from listings.tests.factories import ListingFactory
from teams.tests.factories import TeamFactory, add_member

from .factories import BookingFactory
from .test_admin import host_with_permissions

DAY = datetime.timedelta(days=1)


def running(listing=None, desks=2, months=3, **kwargs):
    """An approved booking that started 10 days ago."""
    return BookingFactory(
        listing=listing or ListingFactory(desks=6),
        desks=desks,
        status=Booking.Status.APPROVED,
        start=timezone.localdate() - 10 * DAY,
        months=months,
        **kwargs,
    )


def refusal(exc_info):
    return " ".join(exc_info.value.messages)


@pytest.mark.django_db
def test_next_month_start_is_the_next_booking_month_boundary():
    booking = running()
    day = rules.next_month_start(booking=booking, today=timezone.localdate())
    assert day == add_months(booking.start, 1)
    assert rules.next_month_start(booking=booking, today=add_months(booking.start, 2)) is None


@pytest.mark.django_db
def test_a_request_records_the_change_and_the_history_and_changes_nothing_yet():
    booking = running()
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=4)
    assert (change.from_desks, change.desks) == (2, 4)
    assert change.effective_from == add_months(booking.start, 1)
    assert change.is_pending
    booking.refresh_from_db()
    assert booking.desks == 2 and booking.end == add_months(booking.start, 3)
    assert booking.events.last().note.startswith("Change asked for: 4 desks from ")


@pytest.mark.django_db
def test_growth_past_capacity_is_refused_when_asked():
    listing = ListingFactory(desks=5)
    booking = running(listing, desks=2)
    running(listing, desks=2)
    with pytest.raises(ValidationError) as exc:
        changes.booking_change_request(booking=booking, by=booking.guest, desks=4)
    assert "Only 1 more desk is free" in refusal(exc)
    assert not BookingChange.objects.exists()
    assert changes.booking_change_request(booking=booking, by=booking.guest, desks=3)


@pytest.mark.django_db
@pytest.mark.parametrize("desks", [2, 7])
def test_same_or_more_than_the_space_has_is_refused(desks):
    booking = running(ListingFactory(desks=6), desks=2)
    with pytest.raises(ValidationError):
        changes.booking_change_request(booking=booking, by=booking.guest, desks=desks)
    assert not BookingChange.objects.exists()


@pytest.mark.django_db
def test_one_open_change_per_booking():
    booking = running()
    changes.booking_change_request(booking=booking, by=booking.guest, desks=3)
    with pytest.raises(ValidationError) as exc:
        changes.booking_change_request(booking=booking, by=booking.guest, desks=4)
    assert refusal(exc) == changes.CHANGE_ALREADY_ASKED


@pytest.mark.django_db
def test_a_change_on_someone_elses_booking_is_refused():
    booking = running()
    with pytest.raises(ValidationError):
        changes.booking_change_request(booking=booking, by=UserFactory(), desks=3)
    with pytest.raises(ValidationError):
        changes.booking_change_request(booking=booking, by=booking.listing.host, desks=3)
    assert not BookingChange.objects.exists()


@pytest.mark.django_db
def test_a_booking_that_has_not_started_or_has_notice_cannot_change():
    future = BookingFactory(
        status=Booking.Status.APPROVED, start=timezone.localdate() + 5 * DAY, months=3
    )
    with pytest.raises(ValidationError) as exc:
        changes.booking_change_request(booking=future, by=future.guest, desks=2)
    assert refusal(exc) == rules.CHANGE_NOT_RUNNING
    booking = running()
    services.booking_cancel(booking=booking, by=booking.guest)  # notice
    with pytest.raises(ValidationError):
        changes.booking_change_request(booking=booking, by=booking.guest, desks=3)


@pytest.mark.django_db
def test_approved_growth_continues_the_booking_with_the_new_desks_from_the_day():
    listing = ListingFactory(desks=6)
    booking = running(listing, desks=2, months=3)
    end = booking.end
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=5)
    day = change.effective_from
    continuation = changes.booking_change_approve(change=change, host=listing.host)

    booking.refresh_from_db()
    assert booking.end == day and booking.months == 1 and booking.is_approved
    assert booking.total == booking.price_per_desk * 2
    assert continuation.continues == booking and continuation.team == booking.team
    assert (continuation.start, continuation.end, continuation.desks) == (day, end, 5)
    assert continuation.months == 2 and continuation.is_approved
    assert continuation.total == continuation.price_per_desk * 5 * 2
    # Capacity counts the old desks before the day and the new ones from it, to the end.
    assert desks_free_between(listing=listing, start=timezone.localdate(), end=day) == 4
    assert desks_free_between(listing=listing, start=day, end=end) == 1
    assert desks_free_between(listing=listing, start=end, end=end + 30 * DAY) == 6
    change.refresh_from_db()
    assert change.status == BookingChange.Status.APPROVED
    assert change.continuation == continuation
    notes = list(BookingEvent.objects.values_list("note", flat=True))
    assert any(n.startswith("Change approved: 5 desks from") for n in notes)
    assert any(n.startswith(f"Continues booking #{booking.pk} with 5 desks") for n in notes)


@pytest.mark.django_db
def test_approved_shrink_frees_desks_from_the_day():
    listing = ListingFactory(desks=6)
    booking = running(listing, desks=4)
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=1)
    changes.booking_change_approve(change=change, host=listing.host)
    assert desks_free_between(listing=listing, start=change.effective_from, end=booking.end) == 5


@pytest.mark.django_db
def test_growth_that_no_longer_fits_is_refused_at_approval_and_nothing_changes():
    listing = ListingFactory(desks=5)
    booking = running(listing, desks=2)
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=4)
    running(listing, desks=2)  # approved meanwhile
    with pytest.raises(ValidationError) as exc:
        changes.booking_change_approve(change=change, host=listing.host)
    assert "Only 1 more desk is free" in refusal(exc)
    change.refresh_from_db()
    booking.refresh_from_db()
    assert change.is_pending and booking.desks == 2
    assert Booking.objects.filter(continues=booking).count() == 0


@pytest.mark.django_db
def test_only_the_listings_host_answers_and_only_once():
    booking = running()
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=3)
    with pytest.raises(ValidationError):
        changes.booking_change_approve(change=change, host=UserFactory())
    with pytest.raises(ValidationError):
        changes.booking_change_decline(change=change, host=booking.guest)
    changes.booking_change_decline(change=change, host=booking.listing.host, reason="Full")
    with pytest.raises(ValidationError):
        changes.booking_change_approve(change=change, host=booking.listing.host)
    booking.refresh_from_db()
    assert booking.desks == 3 - 1 and booking.events.last().note.endswith("(Full)")


@pytest.mark.django_db
def test_a_change_whose_day_has_passed_is_refused():
    booking = running()
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=3)
    BookingChange.objects.filter(pk=change.pk).update(effective_from=timezone.localdate())
    change.refresh_from_db()
    with pytest.raises(ValidationError):
        changes.booking_change_approve(change=change, host=booking.listing.host)


@pytest.mark.django_db
def test_the_changed_booking_sends_exits_and_changes_to_its_continuation():
    booking = running()
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=3)
    continuation = changes.booking_change_approve(change=change, host=booking.listing.host)
    booking.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.booking_cancel(booking=booking, by=booking.guest)
    assert f"continues as booking #{continuation.pk}" in refusal(exc)
    with pytest.raises(ValidationError):
        changes.booking_change_request(booking=booking, by=booking.guest, desks=4)


@pytest.mark.django_db
def test_notice_before_a_continuation_starts_ends_the_booking_it_continues():
    booking = running(months=3)
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=3)
    continuation = changes.booking_change_approve(change=change, host=booking.listing.host)
    today = timezone.localdate()
    assert rules.guest_exit(booking=continuation, user=booking.guest, today=today) == "notice"
    services.booking_cancel(booking=continuation, by=booking.guest)
    booking.refresh_from_db()
    continuation.refresh_from_db()
    notice_end = today + rules.NOTICE_PERIOD
    if notice_end < continuation.start:
        assert continuation.status == Booking.Status.CANCELLED
        assert booking.end == notice_end and booking.notice_given_at is not None
    else:
        assert continuation.end == notice_end and continuation.notice_given_at is not None


@pytest.mark.django_db
def test_team_change_rules_admin_and_maker_yes_other_members_no():
    admin = UserFactory()
    team = TeamFactory(admin=admin)
    maker, other = add_member(team).user, add_member(team).user
    booking = running(team=team, guest=maker)
    with pytest.raises(ValidationError) as exc:
        changes.booking_change_request(booking=booking, by=other, desks=3)
    assert refusal(exc) == rules.BOOKING_NOT_YOUR_TEAM_BOOKING
    change = changes.booking_change_request(booking=booking, by=admin, desks=3)
    changes.booking_change_decline(change=change, host=booking.listing.host)
    assert changes.booking_change_request(booking=booking, by=maker, desks=1)


# --- pages and emails -------------------------------------------------------------------


def test_the_booking_page_asks_and_the_host_approves_in_host_admin(client, run_jobs):
    listing = ListingFactory(desks=6)
    host_with_permissions(listing.host)
    booking = running(listing, desks=2)
    client.force_login(booking.guest)
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "Grow or shrink from" in page
    response = client.post(reverse("bookings:change", args=[booking.pk]), {"desks": 4})
    assert response.status_code == 302
    run_jobs()
    subjects = sorted(m.subject for m in mail.outbox)
    assert [m.to for m in sorted(mail.outbox, key=lambda m: m.subject)] == [
        [listing.host.email],
        [booking.guest.email],
    ]
    assert subjects[0].startswith("Change asked for: booking #")
    mail.outbox.clear()

    client.force_login(listing.host)
    changelist = reverse("host:bookings_bookingchange_changelist")
    assert f"Booking #{booking.pk}" in client.get(changelist).content.decode()
    assert "Desk changes asked for" in client.get(reverse("host:index")).content.decode()
    change = BookingChange.objects.get()
    response = client.post(
        changelist, {"action": "approve_selected", "_selected_action": [change.pk]}
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == BookingChange.Status.APPROVED
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([listing.host.email, booking.guest.email])
    assert all(m.subject.startswith("Change approved") for m in mail.outbox)
    history = client.get(booking.get_absolute_url()).content.decode()
    assert "Change approved: 4 desks from" in history
    assert f"Booking #{change.continuation_id}" in history


@pytest.mark.django_db
def test_growth_past_capacity_on_the_page_is_a_form_error_not_a_500(client):
    listing = ListingFactory(desks=3)
    booking = running(listing, desks=2)
    running(listing, desks=1)
    client.force_login(booking.guest)
    for desks in (3, 99999, "garbage", -1, 0, ""):
        response = client.post(reverse("bookings:change", args=[booking.pk]), {"desks": desks})
        assert response.status_code == 400
    assert not BookingChange.objects.exists()


@pytest.mark.django_db
def test_a_host_cannot_answer_another_hosts_change(client):
    booking = running()
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=3)
    other = ListingFactory().host
    host_with_permissions(other)
    client.force_login(other)
    changelist = reverse("host:bookings_bookingchange_changelist")
    assert f"Booking #{booking.pk}" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "approve_selected", "_selected_action": [change.pk]})
    change.refresh_from_db()
    assert change.is_pending


# --- races (Postgres) ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_growth_approvals_racing_for_the_last_desks_never_overbook(postgres_only):
    listing = ListingFactory(desks=6)
    first, second = running(listing, desks=2), running(listing, desks=2)
    asks = [changes.booking_change_request(booking=b, by=b.guest, desks=4) for b in (first, second)]
    barrier = threading.Barrier(2, timeout=30)
    outcomes = [None, None]

    def approve(i):
        try:
            barrier.wait()
            outcomes[i] = changes.booking_change_approve(change=asks[i], host=listing.host)
        except ValidationError as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(type(o).__name__ for o in outcomes) == ["Booking", "ValidationError"]
    day = asks[0].effective_from
    per_day = sum(
        b.desks
        for b in Booking.objects.approved().filter(listing=listing).overlapping(day, day + DAY)
    )
    assert per_day == 6


@pytest.mark.django_db
def test_notice_given_after_asking_blocks_the_approval():
    booking = running()
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=3)
    services.booking_cancel(booking=booking, by=booking.guest)
    with pytest.raises(ValidationError) as exc:
        changes.booking_change_approve(change=change, host=booking.listing.host)
    assert refusal(exc) == rules.CHANGE_NOTICE_GIVEN
    assert not Booking.objects.filter(continues=booking).exists()


def test_an_approved_shrink_offers_the_freed_desks_to_the_waitlist(run_jobs):
    from waitlist import services as waitlist_services
    from waitlist.models import WaitlistEntry

    listing = ListingFactory(desks=4)
    booking = running(listing, desks=4, months=12)
    entry = waitlist_services.waitlist_join(
        guest=UserFactory(),
        listing=listing,
        desks=2,
        start=add_months(booking.start, 2),
        months=1,
    )
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=2)
    changes.booking_change_approve(change=change, host=listing.host)
    run_jobs()
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED


# --- expiry -----------------------------------------------------------------------------


def test_a_change_unanswered_by_its_day_expires_once_and_the_guest_is_told(client, run_jobs):
    listing = ListingFactory(desks=6, title="Canyon Loft")
    host_with_permissions(listing.host)
    booking = running(listing, desks=2)
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=4)
    day = change.effective_from
    run_jobs()
    mail.outbox.clear()

    assert changes.booking_changes_expire(today=day - DAY) == 0  # the day before: still open
    change.refresh_from_db()
    assert change.is_pending

    assert changes.booking_changes_expire(today=day) == 1
    assert changes.booking_changes_expire(today=day) == 0
    assert changes.booking_changes_expire(today=day + 40 * DAY) == 0
    run_jobs()
    change.refresh_from_db()
    assert change.status == BookingChange.Status.EXPIRED and change.decided_at is not None
    [email] = mail.outbox
    assert email.to == [booking.guest.email]
    assert email.subject == f"Change expired: booking #{booking.pk} at Canyon Loft"
    described = f"4 desks from {day:%B} {day.day}, {day.year}"
    for body in (email.body, email.alternatives[0][0]):
        assert f"Change expired unanswered: {described}. The host did not answer" in body
        assert "The booking goes on as it was" in body
    booking.refresh_from_db()
    assert booking.desks == 2 and booking.end == add_months(booking.start, 3)
    assert booking.events.last().note == f"Change expired unanswered: {described}"
    assert booking.events.last().actor is None

    # Gone from the host's list of changes waiting for an answer, and from /host/'s home.
    client.force_login(listing.host)
    assert "Desk changes asked for" not in client.get(reverse("host:index")).content.decode()
    waiting = reverse("host:bookings_bookingchange_changelist") + "?status__exact=requested"
    assert f"Booking #{booking.pk}" not in client.get(waiting).content.decode()


@pytest.mark.django_db
def test_only_pending_changes_whose_day_has_come_expire():
    today = timezone.localdate()
    due = changes.booking_change_request(booking=(b := running()), by=b.guest, desks=3)
    later = changes.booking_change_request(booking=(b := running()), by=b.guest, desks=3)
    declined = changes.booking_change_request(booking=(b := running()), by=b.guest, desks=3)
    changes.booking_change_decline(change=declined, host=declined.booking.listing.host)
    BookingChange.objects.filter(pk__in=[due.pk, declined.pk]).update(effective_from=today)
    BookingChange.objects.filter(pk=later.pk).update(effective_from=today + DAY)
    assert changes.booking_changes_expire() == 1
    statuses = dict(BookingChange.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: BookingChange.Status.EXPIRED,
        later.pk: BookingChange.Status.REQUESTED,
        declined.pk: BookingChange.Status.DECLINED,
    }


@pytest.mark.django_db
def test_an_expired_change_cannot_be_approved_or_declined_and_the_team_asks_again():
    booking = running(months=4)
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=3)
    changes.booking_changes_expire(today=change.effective_from)
    change.refresh_from_db()
    expected = changes.CHANGE_EXPIRED.format(day=change.effective_from)
    assert "was not answered before that day" in expected
    for answer in (changes.booking_change_approve, changes.booking_change_decline):
        with pytest.raises(ValidationError) as exc:
            answer(change=change, host=booking.listing.host)
        assert refusal(exc) == expected
    assert not Booking.objects.filter(continues=booking).exists()
    change.refresh_from_db()
    assert change.status == BookingChange.Status.EXPIRED
    # No longer open: a new request is accepted.
    assert changes.booking_change_request(booking=booking, by=booking.guest, desks=1).is_pending


@pytest.mark.django_db
def test_the_host_admin_refuses_an_expired_change_with_the_reason(client):
    listing = ListingFactory(desks=6)
    host_with_permissions(listing.host)
    booking = running(listing, desks=2)
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=4)
    changes.booking_changes_expire(today=change.effective_from)
    client.force_login(listing.host)
    response = client.post(
        reverse("host:bookings_bookingchange_changelist"),
        {"action": "approve_selected", "_selected_action": [change.pk]},
        follow=True,
    )
    assert "This change expired" in response.content.decode()
    assert not Booking.objects.filter(continues=booking).exists()


@pytest.mark.django_db(transaction=True)
def test_expiry_skips_a_change_whose_answer_is_in_flight_and_takes_it_next_run(postgres_only):
    booking = running()
    change = changes.booking_change_request(booking=booking, by=booking.guest, desks=3)
    locked, release = threading.Event(), threading.Event()

    def answer_in_flight():
        # What an approval holds while it works: the listing, the booking, the change.
        try:
            with transaction.atomic():
                listing_lock(listing_id=booking.listing_id)
                Booking.objects.select_for_update().get(pk=booking.pk)
                BookingChange.objects.select_for_update().get(pk=change.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=answer_in_flight)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        assert changes.booking_changes_expire(today=change.effective_from) == 0  # no wait
    finally:
        release.set()
        thread.join(timeout=60)
    assert changes.booking_changes_expire(today=change.effective_from) == 1
