import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from bookings import rules, services
from bookings.models import Booking, BookingEvent, Message, add_months
from bookings.selectors import desks_free
from bookings.tasks import bookings_expire_stale
from listings.models import Listing
from listings.tests.factories import ListingFactory

from .factories import BookingFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


def soon(days=7):
    return TODAY() + datetime.timedelta(days=days)


def request(listing, guest=None, desks=1, start=None, months=1, message=""):
    return services.booking_request(
        guest=guest or UserFactory(),
        listing=listing,
        desks=desks,
        start=start or soon(),
        months=months,
        message=message,
    )


def refusal(exc_info):
    return " ".join(exc_info.value.messages)


# --- booking_request ------------------------------------------------------------------


def test_booking_request_stores_term_price_snapshot_and_history():
    listing = ListingFactory(desks=6, price_per_desk="350.00")
    guest = UserFactory()
    booking = request(listing, guest=guest, desks=2, start=soon(10), months=3, message=" Hi! ")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED
    assert booking.end == add_months(soon(10), 3)
    assert booking.total == 2 * 3 * 350
    assert booking.message == "Hi!"
    # The snapshot does not follow later price changes.
    Listing.objects.filter(pk=listing.pk).update(price_per_desk="999.00")
    booking.refresh_from_db()
    assert booking.price_per_desk == 350
    [event] = booking.events.all()
    assert (event.from_status, event.to_status, event.actor) == ("", "requested", guest)


@pytest.mark.parametrize("desks", [0, -3])
def test_booking_request_rejects_fewer_than_one_desk(desks):
    with pytest.raises(ValidationError) as exc:
        request(ListingFactory(), desks=desks)
    assert refusal(exc) == services.BOOKING_DESKS_TOO_FEW


def test_booking_request_rejects_more_desks_than_free():
    listing = ListingFactory(desks=6)
    BookingFactory(listing=listing, desks=5, status=Booking.Status.APPROVED, start=soon(20))
    # Free on days before the approved booking starts, but not for the whole term.
    with pytest.raises(ValidationError) as exc:
        request(listing, desks=2, start=soon(5), months=1)
    assert refusal(exc) == "Only 1 desk is free for that whole term."
    assert request(listing, desks=1, start=soon(5)).desks == 1


def test_booking_request_rejects_more_desks_than_capacity():
    with pytest.raises(ValidationError) as exc:
        request(ListingFactory(desks=6), desks=7)
    assert refusal(exc) == "Only 6 desks are free for that whole term."


def test_booking_request_counts_only_approved_bookings():
    listing = ListingFactory(desks=4)
    for status in ["requested", "declined", "cancelled", "expired"]:
        BookingFactory(listing=listing, desks=4, status=status)
    assert request(listing, desks=4).desks == 4


def test_booking_request_rejects_term_below_listing_minimum():
    with pytest.raises(ValidationError) as exc:
        request(ListingFactory(min_term_months=3), months=2)
    assert refusal(exc) == "This space is let for at least 3 months."


def test_booking_request_rejects_absurd_term():
    with pytest.raises(ValidationError) as exc:
        request(ListingFactory(), months=10_000)
    assert refusal(exc) == services.BOOKING_TERM_TOO_LONG


def test_booking_request_rejects_start_in_the_past():
    with pytest.raises(ValidationError) as exc:
        request(ListingFactory(), start=TODAY() - DAY)
    assert refusal(exc) == services.BOOKING_START_IN_PAST


def test_booking_request_rejects_start_before_available_from():
    listing = ListingFactory(available_from=soon(30))
    with pytest.raises(ValidationError) as exc:
        request(listing, start=soon(29))
    assert "available from" in refusal(exc)
    assert request(listing, start=soon(30)).start == soon(30)


@pytest.mark.parametrize("status", [Listing.Status.DRAFT, Listing.Status.ARCHIVED])
def test_booking_request_rejects_unpublished_listing(status):
    with pytest.raises(ValidationError) as exc:
        request(ListingFactory(status=status))
    assert refusal(exc) == services.BOOKING_LISTING_UNPUBLISHED


def test_booking_request_rejects_host_booking_own_space():
    listing = ListingFactory()
    with pytest.raises(ValidationError) as exc:
        request(listing, guest=listing.host)
    assert refusal(exc) == services.BOOKING_OWN_LISTING
    assert not Booking.objects.exists()


def test_booking_request_reads_the_listing_fresh_not_the_callers_copy():
    listing = ListingFactory()
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.ARCHIVED)
    with pytest.raises(ValidationError):
        request(listing)  # the stale object still says published


# --- instant book ---------------------------------------------------------------------


def test_instant_book_approves_a_fitting_request_at_once():
    listing = ListingFactory(desks=3, instant_book=True)
    booking = request(listing, desks=3)
    assert booking.status == Booking.Status.APPROVED
    assert booking.decided_at is not None
    assert [(e.from_status, e.to_status) for e in booking.events.all()] == [
        ("", "requested"),
        ("requested", "approved"),
    ]
    assert desks_free(listing=listing, start=booking.start, months=1) == 0
    with pytest.raises(ValidationError):
        request(listing, desks=1)


def test_without_instant_book_a_request_waits_and_holds_no_desks():
    listing = ListingFactory(desks=3)
    booking = request(listing, desks=3)
    assert booking.status == Booking.Status.REQUESTED
    assert desks_free(listing=listing, start=booking.start, months=1) == 3


# --- approve / decline ----------------------------------------------------------------


def test_host_approves_a_request():
    booking = BookingFactory(desks=2)
    host = booking.listing.host
    approved = services.booking_approve(booking=booking, host=host)
    booking.refresh_from_db()
    assert approved.status == booking.status == Booking.Status.APPROVED
    assert booking.decided_at is not None
    event = booking.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("requested", "approved", host)


def test_approve_rejects_another_hosts_answer():
    booking = BookingFactory()
    other_host = ListingFactory().host
    for answer in (services.booking_approve, services.booking_decline):
        with pytest.raises(ValidationError) as exc:
            answer(booking=booking, host=other_host)
        assert refusal(exc) == rules.BOOKING_NOT_YOUR_LISTING
    with pytest.raises(ValidationError):
        services.booking_approve(booking=booking, host=booking.guest)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED


@pytest.mark.parametrize("status", [Listing.Status.DRAFT, Listing.Status.ARCHIVED])
def test_approve_rejects_a_request_on_a_listing_no_longer_published(status, run_jobs):
    booking = BookingFactory()
    Listing.objects.filter(pk=booking.listing_id).update(status=status)
    host = booking.listing.host
    with pytest.raises(ValidationError) as exc:
        services.booking_approve(booking=booking, host=host)
    run_jobs()
    assert refusal(exc) == services.BOOKING_APPROVE_UNPUBLISHED
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED and mail.outbox == []
    # The host can still answer no.
    services.booking_decline(booking=booking, host=host)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED


@pytest.mark.parametrize("starts_in_days", [-1, 0])
def test_approve_refuses_once_the_day_before_the_start_is_over(starts_in_days):
    booking = BookingFactory(start=TODAY() + starts_in_days * DAY)
    with pytest.raises(ValidationError) as exc:
        services.booking_approve(booking=booking, host=booking.listing.host)
    assert "The time to answer this request ended on" in refusal(exc)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED
    # Starting tomorrow: the host still has until tonight's midnight.
    tomorrow = BookingFactory(start=TODAY() + DAY)
    assert services.booking_approve(booking=tomorrow, host=tomorrow.listing.host).is_approved


def test_answer_by_is_72_hours_or_the_end_of_the_day_before_the_start():
    far = BookingFactory(start=TODAY() + 30 * DAY)
    assert far.answer_by == far.created_at + datetime.timedelta(hours=72)
    near = BookingFactory(start=TODAY() + 2 * DAY)
    midnight = timezone.make_aware(datetime.datetime.combine(near.start, datetime.time.min))
    assert near.answer_by == midnight
    assert timezone.localtime(near.answer_by).hour == 0


def test_a_request_for_tomorrow_expires_at_midnight_not_after_72_hours():
    booking = BookingFactory(start=TODAY() + DAY)
    before = timezone.make_aware(datetime.datetime.combine(TODAY(), datetime.time(23, 59)))
    assert services.booking_expire_stale(now=before) == 0
    at_midnight = timezone.make_aware(datetime.datetime.combine(TODAY() + DAY, datetime.time.min))
    assert services.booking_expire_stale(now=at_midnight) == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED


def test_a_request_cannot_start_today_unless_the_space_books_instantly():
    listing = ListingFactory(desks=4)
    with pytest.raises(ValidationError) as exc:
        request(listing, start=TODAY())
    assert "The host needs until the day before to answer" in refusal(exc)
    assert request(listing, start=TODAY() + DAY).is_pending
    instant = ListingFactory(desks=4, instant_book=True)
    assert request(instant, start=TODAY()).is_approved


def test_approve_rejects_a_request_that_no_longer_fits():
    listing = ListingFactory(desks=4)
    BookingFactory(listing=listing, desks=3, status=Booking.Status.APPROVED)
    booking = BookingFactory(listing=listing, desks=2)
    with pytest.raises(ValidationError) as exc:
        services.booking_approve(booking=booking, host=listing.host)
    assert refusal(exc) == "Only 1 desk is free for that whole term."


@pytest.mark.parametrize("status", ["approved", "declined", "cancelled", "expired"])
def test_only_pending_requests_can_be_answered(status):
    booking = BookingFactory(status=status)
    with pytest.raises(ValidationError) as exc:
        services.booking_approve(booking=booking, host=booking.listing.host)
    assert refusal(exc) == f"A {status} booking cannot be approved."
    with pytest.raises(ValidationError) as exc:
        services.booking_decline(booking=booking, host=booking.listing.host)
    assert refusal(exc) == f"A {status} booking cannot be declined."
    assert not BookingEvent.objects.exists()


def test_approve_rereads_status_under_the_lock():
    booking = BookingFactory()
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    with pytest.raises(ValidationError):
        services.booking_approve(booking=booking, host=booking.listing.host)  # stale copy


def test_approving_declines_pending_requests_that_no_longer_fit(
    run_jobs,
):
    listing = ListingFactory(desks=5)
    chosen = BookingFactory(listing=listing, desks=3, start=soon(10), months=2)
    too_big = BookingFactory(listing=listing, desks=3, start=soon(40), months=1)
    still_fits = BookingFactory(listing=listing, desks=2, start=soon(5), months=3)
    elsewhere = BookingFactory(listing=listing, desks=5, start=add_months(soon(10), 2))
    services.booking_approve(booking=chosen, host=listing.host)
    run_jobs()
    statuses = {b.pk: b.status for b in Booking.objects.all()}
    assert statuses == {
        chosen.pk: "approved",
        too_big.pk: "declined",
        still_fits.pk: "requested",
        elsewhere.pk: "requested",  # starts the day the chosen booking ends
    }
    message = Message.objects.get(booking=too_big)
    assert message.author == listing.host and message.body == services.AUTO_DECLINE_MESSAGE
    assert too_big.events.get().note == services.AUTO_DECLINE_NOTE
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox) == sorted(
        [(chosen.guest.email, "Approved"), (too_big.guest.email, "Declined")]
    )


def test_instant_book_declines_pending_requests_that_no_longer_fit(
    run_jobs,
):
    listing = ListingFactory(desks=4)
    # Requests made while the host still answered them by hand ...
    too_big = BookingFactory(listing=listing, desks=3, start=soon(10))
    still_fits = BookingFactory(listing=listing, desks=2, start=soon(12))
    # ... then the host turns instant book on.
    Listing.objects.filter(pk=listing.pk).update(instant_book=True)
    instant = request(listing, desks=2, start=soon(10))
    run_jobs()

    statuses = {b.pk: b.status for b in Booking.objects.all()}
    assert statuses == {
        instant.pk: "approved",
        too_big.pk: "declined",
        still_fits.pk: "requested",
    }
    message = Message.objects.get(booking=too_big)
    assert message.author == listing.host and message.body == services.AUTO_DECLINE_MESSAGE
    assert too_big.events.get().note == services.AUTO_DECLINE_NOTE
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox) == sorted(
        [
            (instant.guest.email, "Approved"),
            (listing.host.email, "Booked"),
            (too_big.guest.email, "Declined"),
        ]
    )


def test_host_declines_with_a_reason_the_guest_reads(run_jobs):
    booking = BookingFactory()
    host = booking.listing.host
    services.booking_decline(booking=booking, host=host, reason="Full that month, sorry.")
    run_jobs()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED and booking.decided_at is not None
    assert booking.messages.get().body == "Full that month, sorry."
    assert booking.events.get().actor == host
    [email] = mail.outbox
    assert email.to == [booking.guest.email]
    assert "Full that month, sorry." in email.body
    assert "Full that month, sorry." in email.alternatives[0][0]


# --- cancel and notice ----------------------------------------------------------------


def test_guest_cancels_a_pending_request(run_jobs):
    booking = BookingFactory()
    services.booking_cancel(booking=booking, by=booking.guest)
    run_jobs()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [booking.guest.email, booking.listing.host.email]
    )


def test_guest_cancels_an_approved_booking_before_it_starts_and_frees_the_desks():
    listing = ListingFactory(desks=2)
    booking = BookingFactory(listing=listing, desks=2, status="approved", start=soon(1))
    assert desks_free(listing=listing, start=soon(1), months=1) == 0
    services.booking_cancel(booking=booking, by=booking.guest)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert desks_free(listing=listing, start=soon(1), months=1) == 2
    assert booking.events.get().actor == booking.guest


def test_after_start_cancelling_gives_30_days_notice(run_jobs):
    listing = ListingFactory(desks=2)
    start = TODAY() - datetime.timedelta(days=40)
    booking = BookingFactory(listing=listing, desks=2, status="approved", start=start, months=6)
    original_end = booking.end
    services.booking_cancel(booking=booking, by=booking.guest)
    run_jobs()
    booking.refresh_from_db()
    notice_end = TODAY() + datetime.timedelta(days=30)
    assert booking.status == Booking.Status.APPROVED
    assert booking.end == notice_end < original_end
    assert booking.notice_given_at is not None
    assert "notice" in booking.events.get().note
    # The desks are taken until the notice ends, free from that day.
    assert desks_free(listing=listing, start=notice_end - DAY, months=1) == 0
    assert desks_free(listing=listing, start=notice_end, months=1) == 2
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert len(mail.outbox) == 2 and subjects[booking.guest.email].startswith("You gave notice")
    assert subjects[listing.host.email].startswith("Notice given")
    # Notice is given once.
    with pytest.raises(ValidationError) as exc:
        services.booking_cancel(booking=booking, by=booking.guest)
    assert "already been given" in refusal(exc)


def test_notice_never_extends_the_term():
    start = TODAY() - datetime.timedelta(days=20)
    booking = BookingFactory(status="approved", start=start, months=1)
    original_end = booking.end  # fewer than 30 days away
    services.booking_cancel(booking=booking, by=booking.guest)
    booking.refresh_from_db()
    assert booking.end == original_end


def test_an_ended_booking_cannot_be_cancelled():
    booking = BookingFactory(status="approved", start=TODAY() - datetime.timedelta(days=60))
    with pytest.raises(ValidationError) as exc:
        services.booking_cancel(booking=booking, by=booking.guest)
    assert refusal(exc) == rules.BOOKING_ALREADY_ENDED


@pytest.mark.parametrize("status", ["declined", "cancelled", "expired"])
def test_closed_bookings_cannot_be_cancelled(status):
    booking = BookingFactory(status=status)
    with pytest.raises(ValidationError) as exc:
        services.booking_cancel(booking=booking, by=booking.guest)
    assert refusal(exc) == f"A {status} booking cannot be cancelled."


@pytest.mark.parametrize("status", ["requested", "approved"])
def test_host_cannot_cancel(status):
    booking = BookingFactory(status=status)
    with pytest.raises(ValidationError) as exc:
        services.booking_cancel(booking=booking, by=booking.listing.host)
    assert refusal(exc) == rules.BOOKING_NOT_YOUR_BOOKING
    booking.refresh_from_db()
    assert booking.status == status


# --- expiry ---------------------------------------------------------------------------


def _age(booking, hours):
    Booking.objects.filter(pk=booking.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=hours)
    )


def test_expiry_expires_only_stale_requests_and_is_idempotent(run_jobs):
    stale = BookingFactory()
    fresh = BookingFactory()
    old_but_approved = BookingFactory(status="approved")
    for booking, hours in [(stale, 73), (fresh, 71), (old_but_approved, 500)]:
        _age(booking, hours)
    bookings_expire_stale.enqueue()  # as the clock does, every 10 minutes
    run_jobs()
    [job] = DBTaskResult.objects.filter(task_path=bookings_expire_stale.module_path)
    assert job.return_value == 1
    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: "expired", fresh.pk: "requested", old_but_approved.pk: "approved"}
    event = stale.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("requested", "expired", None)
    [email] = mail.outbox
    assert email.to == [stale.guest.email] and email.subject.startswith("Expired")
    # A second run (the clock, ten minutes later) changes nothing and mails no one.
    assert services.booking_expire_stale() == 0
    run_jobs()
    assert len(mail.outbox) == 1 and stale.events.count() == 1


def test_expired_request_cannot_be_approved_later():
    booking = BookingFactory()
    _age(booking, 80)
    services.booking_expire_stale()
    with pytest.raises(ValidationError):
        services.booking_approve(booking=booking, host=booking.listing.host)


# --- messages -------------------------------------------------------------------------


def test_message_goes_to_the_other_party(run_jobs):
    booking = BookingFactory()
    host = booking.listing.host
    services.message_create(booking=booking, author=booking.guest, body="Is there parking?")
    services.message_create(booking=booking, author=host, body="Yes, two spots.")
    run_jobs()
    assert [m.to[0] for m in mail.outbox] == [host.email, booking.guest.email]
    assert "Is there parking?" in mail.outbox[0].body
    assert [m.body for m in booking.messages.all()] == ["Is there parking?", "Yes, two spots."]


def test_message_refuses_strangers_and_blank_bodies():
    booking = BookingFactory()
    with pytest.raises(ValidationError) as exc:
        services.message_create(booking=booking, author=UserFactory(), body="Hello")
    assert refusal(exc) == services.MESSAGE_NOT_A_PARTY
    with pytest.raises(ValidationError):
        services.message_create(booking=booking, author=booking.guest, body="   ")
    assert not Message.objects.exists()


# --- emails: jobs of the service's transaction -----------------------------------------


def test_request_email_is_sent_by_the_worker_after_commit(run_jobs):
    listing = ListingFactory()
    with transaction.atomic():
        booking = request(listing, message="We are three engineers.")
    assert mail.outbox == []  # the request itself sends nothing
    run_jobs()
    [email] = mail.outbox
    assert email.to == [listing.host.email]
    assert "We are three engineers." in email.body
    html = email.alternatives[0][0]
    assert f"/bookings/{booking.pk}/" in html and "<html" in html


@pytest.mark.django_db(transaction=True)
def test_no_email_when_the_transaction_rolls_back():
    listing = ListingFactory(instant_book=True)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        request(listing)
        raise Abort
    assert not DBTaskResult.objects.exists()  # no job: its row rolled back with the booking
    assert mail.outbox == []
    assert not Booking.objects.exists()


def test_refused_request_sends_nothing():
    listing = ListingFactory(desks=1)
    with pytest.raises(ValidationError):
        request(listing, desks=2)
    assert not DBTaskResult.objects.exists()


def test_booking_request_rejects_a_start_beyond_the_booking_horizon():
    listing = ListingFactory()
    for start in (add_months(TODAY(), 25), datetime.date(9999, 12, 31)):
        with pytest.raises(ValidationError) as exc:
            request(listing, start=start)
        assert refusal(exc) == services.BOOKING_START_TOO_FAR


def test_email_text_is_not_html_escaped_and_html_is(run_jobs):
    guest = UserFactory(name="Ada & <Co>")
    request(ListingFactory(), guest=guest, message="Fish & chips <3")
    run_jobs()
    [email] = mail.outbox
    assert "Ada & <Co>" in email.body and "Fish & chips <3" in email.body
    html = email.alternatives[0][0]
    assert "Ada &amp; &lt;Co&gt;" in html and "<Co>" not in html


# --- one request per intent ----------------------------------------------------------------

KEY = "0123456789abcdef0123456789abcdef"


def test_the_same_request_key_twice_makes_one_request_and_one_email_job():
    listing = ListingFactory(desks=4)
    guest = UserFactory()
    first = services.booking_request(
        guest=guest, listing=listing, desks=2, start=soon(), months=1, request_key=KEY
    )
    jobs = DBTaskResult.objects.count()
    again = services.booking_request(
        guest=guest, listing=listing, desks=2, start=soon(), months=1, request_key=KEY
    )
    assert again.pk == first.pk
    assert Booking.objects.count() == 1
    assert DBTaskResult.objects.count() == jobs  # no second "New request" email


def test_an_identical_open_request_is_refused_with_a_pointer_to_the_first():
    listing = ListingFactory(desks=4)
    guest = UserFactory()
    first = request(listing, guest=guest, desks=2)
    with pytest.raises(ValidationError) as exc:
        request(listing, guest=guest, desks=1)  # same listing, start and term
    assert exc.value.code == "duplicate"
    assert exc.value.params == {"booking_id": first.pk}
    assert f"You have already asked for 2 desks here from {soon():%B %-d, %Y}." in refusal(exc)
    assert Booking.objects.count() == 1


def test_other_dates_or_a_closed_request_are_not_duplicates():
    listing = ListingFactory(desks=4)
    guest = UserFactory()
    first = request(listing, guest=guest)
    request(listing, guest=guest, start=soon(30))  # other dates: a second intent
    services.booking_cancel(booking=first, by=guest)
    request(listing, guest=guest)  # asking again after withdrawing
    assert Booking.objects.filter(guest=guest).count() == 3
