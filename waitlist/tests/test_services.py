"""The line, the offers and what frees desks for them, through the services."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.models import Booking, Hold
from bookings.selectors import desks_free
from bookings.tests.factories import BookingFactory
from listings.models import Listing
from listings.services import listing_update
from listings.tests.factories import ListingFactory
from waitlist import services
from waitlist.models import WaitlistEntry
from waitlist.selectors import waitlist_for_guest, waitlist_place
from waitlist.tasks import waitlist_offers_sweep

DAY = datetime.timedelta(days=1)


def today():
    return timezone.localdate()


def full_listing(desks=4, **kwargs):
    """A listing whose desks are all taken for the next year by one approved booking that
    started a month ago (its guest can give notice)."""
    listing = ListingFactory(desks=desks, **kwargs)
    running = BookingFactory(
        listing=listing, desks=desks, status="approved", start=today() - 30 * DAY, months=12
    )
    return listing, running


def join(listing, desks=1, start=None, months=1, guest=None):
    return services.waitlist_join(
        guest=guest or UserFactory(),
        listing=listing,
        desks=desks,
        start=start or today() + 40 * DAY,  # after a notice given today has run out
        months=months,
    )


def status(entry):
    entry.refresh_from_db()
    return entry.status


def refusal(exc):
    return " ".join(exc.value.messages)


# --- Joining ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_guest_joins_a_full_listing_and_sees_their_place():
    listing, _running = full_listing()
    first, second = join(listing), join(listing, desks=2)
    assert first.status == WaitlistEntry.Status.WAITING
    assert waitlist_place(entry=first) == 1 and waitlist_place(entry=second) == 2
    [mine] = waitlist_for_guest(user=second.guest)
    assert mine.ahead == 1


@pytest.mark.django_db
def test_joining_is_refused_when_the_desks_are_free_for_the_host_and_twice():
    listing, _running = full_listing()
    free = ListingFactory(desks=3)
    with pytest.raises(ValidationError) as exc:
        join(free)
    assert exc.value.code == "free"
    with pytest.raises(ValidationError) as exc:
        join(listing, guest=listing.host)
    assert "your own space" in refusal(exc)
    entry = join(listing)
    with pytest.raises(ValidationError) as exc:
        join(listing, guest=entry.guest, desks=2)
    assert exc.value.code == "duplicate"
    assert WaitlistEntry.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("desks", "start_days", "months", "words"),
    [
        (0, 7, 1, "at least one desk"),
        (5, 7, 1, "This space has 4 desks"),
        (1, -1, 1, "already passed"),
        (1, 7, 37, "at most 36 months"),
        (1, 0, 1, "day before"),
    ],
)
def test_joining_asks_what_a_request_asks(desks, start_days, months, words):
    listing, _running = full_listing()
    with pytest.raises(ValidationError) as exc:
        join(listing, desks=desks, start=today() + start_days * DAY, months=months)
    assert words in refusal(exc)
    assert not WaitlistEntry.objects.exists()


@pytest.mark.django_db
def test_joining_an_unpublished_listing_is_refused():
    listing, _running = full_listing(status=Listing.Status.DRAFT)
    with pytest.raises(ValidationError) as exc:
        join(listing)
    assert "not open" in refusal(exc)


# --- Offers: first come, skipping who does not fit -----------------------------------------


def test_freed_desks_go_first_come_to_whoever_fits(run_jobs):
    listing = ListingFactory(desks=4)
    big = BookingFactory(
        listing=listing, desks=2, status="approved", start=today() + 3 * DAY, months=12
    )
    BookingFactory(listing=listing, desks=2, status="approved", start=today() - 30 * DAY, months=12)
    wants_three = join(listing, desks=3)
    wants_one = join(listing, desks=1)
    wants_one_too = join(listing, desks=1)
    wants_one_more = join(listing, desks=1)
    booking_services.booking_cancel(booking=big, by=big.guest)  # 2 desks free up
    run_jobs()
    # The first guest wants more than was freed: passed over, keeps the first place.
    assert status(wants_three) == WaitlistEntry.Status.WAITING
    assert waitlist_place(entry=wants_three) == 1
    assert status(wants_one) == status(wants_one_too) == WaitlistEntry.Status.OFFERED
    assert status(wants_one_more) == WaitlistEntry.Status.WAITING
    assert waitlist_place(entry=wants_one_more) == 2
    start = wants_one.start
    assert desks_free(listing=listing, start=start, months=1) == 0  # the holds count
    offers = [m for m in mail.outbox if "yours to take" in m.subject]
    assert sorted(m.to[0] for m in offers) == sorted(
        [wants_one.guest.email, wants_one_too.guest.email]
    )
    # The offer's clock started when its email went out.
    wants_one.refresh_from_db()
    left = wants_one.hold.expires_at - timezone.now()
    assert datetime.timedelta(hours=23, minutes=59) < left <= datetime.timedelta(hours=24)


def test_a_lapsed_offer_passes_to_the_next_guest_who_fits(run_jobs):
    listing, running = full_listing(desks=2)
    first, second = join(listing), join(listing)
    booking_services.booking_cancel(booking=running, by=running.guest)  # notice: 2 desks
    run_jobs()
    assert status(first) == status(second) == WaitlistEntry.Status.OFFERED
    # A third guest who joins behind them gets nothing yet (the held desks are not free)...
    later = join(listing)
    assert services.offers_lapse() == 0  # nobody's time is up
    # ...until the first offer lapses (the clock's sweep, a day and an hour later).
    assert services.offers_lapse(now=timezone.now() + datetime.timedelta(hours=25)) == 2
    run_jobs()
    assert status(first) == status(second) == WaitlistEntry.Status.LAPSED
    assert status(later) == WaitlistEntry.Status.OFFERED
    assert Hold.objects.get(pk=first.hold_id).status == Hold.Status.LAPSED
    assert any(later.guest.email in m.to for m in mail.outbox)


def test_the_offer_clock_waits_for_the_email(run_jobs, settings):
    """A mail outage delays an offer; it never eats the guest's 24 hours."""
    listing, running = full_listing(desks=1)
    entry = join(listing)
    booking_services.booking_cancel(booking=running, by=running.guest)
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},
        }
    }
    run_jobs()  # the offer is made; its email fails (nothing listens on port 9)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    assert entry.hold.expires_at is None
    assert services.offers_lapse(now=timezone.now() + datetime.timedelta(days=3)) == 0
    assert status(entry) == WaitlistEntry.Status.OFFERED


def test_an_offer_goes_out_once_however_often_offers_are_made(run_jobs):
    listing, running = full_listing(desks=1)
    entry = join(listing)
    booking_services.booking_cancel(booking=running, by=running.guest)
    run_jobs()
    assert services.offers_make(listing_id=listing.pk) == []
    assert waitlist_offers_sweep.call() == 0
    run_jobs()
    entry.refresh_from_db()
    assert Hold.objects.filter(listing=listing).count() == 1
    assert sum(entry.guest.email in m.to for m in mail.outbox) == 1


# --- Taking up, declining, leaving ----------------------------------------------------------


def offered(run_jobs, *, instant_book=False, desks=1):
    listing, running = full_listing(desks=desks, instant_book=instant_book)
    entry = join(listing, desks=desks)
    behind = join(listing, desks=desks)
    booking_services.booking_cancel(booking=running, by=running.guest)
    run_jobs()
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    return listing, entry, behind


@pytest.mark.parametrize("instant_book", [False, True])
def test_taking_up_an_offer_turns_the_hold_into_a_request(run_jobs, instant_book):
    listing, entry, behind = offered(run_jobs, instant_book=instant_book)
    booking = services.offer_accept(entry=entry, guest=entry.guest, message="Hello!")
    assert booking.status == (Booking.Status.APPROVED if instant_book else Booking.Status.REQUESTED)
    assert (booking.desks, booking.start, booking.months) == (1, entry.hold.start, 1)
    assert status(entry) == WaitlistEntry.Status.BOOKED
    hold = Hold.objects.get(pk=entry.hold_id)
    assert hold.booking == booking
    # Booked at once, or held for the request until the host answers.
    assert hold.status == (Hold.Status.BOOKED if instant_book else Hold.Status.HELD)
    assert desks_free(listing=listing, start=booking.start, months=1) == 0
    run_jobs()
    assert waitlist_offers_sweep.call() == 0
    # The desks did not go round the line: the guest behind still waits.
    assert status(behind) == WaitlistEntry.Status.WAITING


def test_the_host_approves_a_request_made_from_an_offer(run_jobs):
    listing, entry, behind = offered(run_jobs)
    booking = services.offer_accept(entry=entry, guest=entry.guest)
    booking_services.booking_approve(booking=booking, host=listing.host)
    booking.refresh_from_db()
    assert booking.is_approved
    assert Hold.objects.get(pk=entry.hold_id).status == Hold.Status.BOOKED
    assert desks_free(listing=listing, start=booking.start, months=1) == 0
    run_jobs()
    assert status(behind) == WaitlistEntry.Status.WAITING


def _decline(booking, host):
    booking_services.booking_decline(booking=booking, host=host)


def _withdraw(booking, host):
    booking_services.booking_cancel(booking=booking, by=booking.guest)


def _expire(booking, host):
    booking_services.booking_expire_stale(now=timezone.now() + datetime.timedelta(days=4))


@pytest.mark.parametrize("answer", [_decline, _withdraw, _expire], ids=lambda f: f.__name__)
def test_a_request_made_from_an_offer_and_not_approved_frees_the_desks_for_the_line(
    run_jobs, answer
):
    listing, entry, behind = offered(run_jobs)
    booking = services.offer_accept(entry=entry, guest=entry.guest)
    answer(booking, listing.host)
    assert Hold.objects.get(pk=entry.hold_id).status != Hold.Status.HELD
    run_jobs()
    assert status(behind) == WaitlistEntry.Status.OFFERED


def test_an_offer_is_taken_up_once_and_only_by_its_guest(run_jobs):
    listing, entry, _behind = offered(run_jobs)
    with pytest.raises(ValidationError) as exc:
        services.offer_accept(entry=entry, guest=UserFactory())
    assert exc.value.code == "not_yours"
    services.offer_accept(entry=entry, guest=entry.guest)
    with pytest.raises(ValidationError) as exc:
        services.offer_accept(entry=entry, guest=entry.guest)
    assert exc.value.code == "gone"
    assert Booking.objects.filter(guest=entry.guest).count() == 1


def test_a_lapsed_offer_cannot_be_taken_up_even_before_the_sweep(run_jobs):
    listing, entry, _behind = offered(run_jobs)
    Hold.objects.filter(pk=entry.hold_id).update(expires_at=timezone.now() - DAY)
    with pytest.raises(ValidationError) as exc:
        services.offer_accept(entry=entry, guest=entry.guest)
    assert exc.value.code == "gone"
    assert status(entry) == WaitlistEntry.Status.OFFERED  # nothing changed
    assert not Booking.objects.filter(guest=entry.guest).exists()


def test_declining_passes_the_desks_to_the_next_guest(run_jobs):
    listing, entry, behind = offered(run_jobs)
    services.offer_decline(entry=entry, guest=entry.guest)
    run_jobs()
    assert status(entry) == WaitlistEntry.Status.DECLINED
    assert status(behind) == WaitlistEntry.Status.OFFERED


def test_leaving_the_line(run_jobs):
    listing, entry, behind = offered(run_jobs)
    third = join(listing)
    services.waitlist_leave(entry=third, guest=third.guest)
    assert status(third) == WaitlistEntry.Status.LEFT
    with pytest.raises(ValidationError):
        services.waitlist_leave(entry=behind, guest=entry.guest)
    # Leaving with an offer open turns it down.
    services.waitlist_leave(entry=entry, guest=entry.guest)
    run_jobs()
    assert status(entry) == WaitlistEntry.Status.DECLINED
    assert status(behind) == WaitlistEntry.Status.OFFERED


# --- Each free-up event makes an offer --------------------------------------------------


def _notice(listing, running):
    booking_services.booking_cancel(booking=running, by=running.guest)


def _more_desks(listing, running):
    listing_update(listing=listing, data={"desks": listing.desks + 1})


@pytest.mark.parametrize("event", [_notice, _more_desks], ids=["notice", "host-adds-desks"])
def test_events_that_free_desks_make_an_offer(run_jobs, event):
    listing, running = full_listing(desks=2)
    entry = join(listing)
    run_jobs()
    assert status(entry) == WaitlistEntry.Status.WAITING
    event(listing, running)
    run_jobs()
    assert status(entry) == WaitlistEntry.Status.OFFERED
    assert any(entry.guest.email in m.to for m in mail.outbox)


def test_a_cancellation_before_the_start_makes_an_offer(run_jobs):
    listing = ListingFactory(desks=2)
    upcoming = BookingFactory(
        listing=listing, desks=2, status="approved", start=today() + 3 * DAY, months=6
    )
    entry = join(listing, start=today() + 10 * DAY)
    booking_services.booking_cancel(booking=upcoming, by=upcoming.guest)
    run_jobs()
    assert status(entry) == WaitlistEntry.Status.OFFERED


def test_a_request_withdrawn_frees_nothing_and_offers_nothing(run_jobs):
    listing, _running = full_listing(desks=2)
    entry = join(listing)
    request = BookingFactory(listing=listing, desks=1, start=today() + 400 * DAY)
    booking_services.booking_cancel(booking=request, by=request.guest)
    run_jobs()
    assert status(entry) == WaitlistEntry.Status.WAITING


def test_a_booking_ending_makes_an_offer_from_its_end(run_jobs):
    """The move-in asked for passed while the guest waited: the offer is for the first day
    the desks can be had, found by the clock's sweep once the booking ends."""
    listing = ListingFactory(desks=2)
    ending = BookingFactory(
        listing=listing, desks=2, status="approved", start=today() - 30 * DAY, months=2
    )
    entry = join(listing, start=today() + 2 * DAY)
    assert services.offers_make_everywhere() == 0
    # The day before the booking's end: a host answers by then, so the desks can be offered.
    assert services.offers_make_everywhere(today=ending.end - DAY) == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    assert entry.hold.start == ending.end


def test_a_hold_counts_against_a_request_for_the_same_desks(run_jobs):
    listing, entry, _behind = offered(run_jobs, instant_book=True)
    with pytest.raises(ValidationError) as exc:
        booking_services.booking_request(
            guest=UserFactory(), listing=listing, desks=1, start=entry.hold.start, months=1
        )
    assert exc.value.code == "not_free"
