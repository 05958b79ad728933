"""An operator ends a booking: a request is declined, a booking not started cancelled as its
guest would, a running one ends on a day; one email to each side; the /admin/ page."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import HostFactory, UserFactory
from bookings import rules, services
from bookings.models import Booking, add_months
from bookings.selectors import desks_free
from bookings.signals import booking_cancelled_before_start
from listings.signals import desks_freed
from listings.tests.factories import ListingFactory

from .factories import BookingFactory
from .test_admin import host_with_permissions

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


def operator():
    return UserFactory(is_staff=True, is_superuser=True)


def running(*, started_days_ago=40, months=6, desks=2, listing=None):
    start = TODAY() - datetime.timedelta(days=started_days_ago)
    return BookingFactory(
        listing=listing or ListingFactory(desks=desks),
        desks=desks,
        start=start,
        months=months,
        end=add_months(start, months),
        status=Booking.Status.APPROVED,
    )


def end(booking, by=None, reason="The space flooded.", **kwargs):
    return services.booking_end_by_operator(
        booking=booking, by=by or operator(), reason=reason, **kwargs
    )


def refusal(exc_info):
    return " ".join(exc_info.value.messages)


@pytest.fixture
def freed():
    """The listings ``desks_freed`` was sent for (a receiver connected for the test)."""
    sent = []

    def receiver(sender, *, listing_id, **kwargs):
        sent.append(listing_id)

    desks_freed.connect(receiver, dispatch_uid="test-operator-end")
    yield sent
    desks_freed.disconnect(dispatch_uid="test-operator-end")


# --- Who, why, when --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who",
    [
        lambda b: b.guest,
        lambda b: b.listing.host,
        lambda b: HostFactory(),
        lambda b: UserFactory(is_staff=True),
        lambda b: UserFactory(is_staff=True, is_superuser=True, is_active=False),
    ],
    ids=["guest", "host", "another-host", "staff", "inactive-superuser"],
)
def test_only_an_operator_ends_a_booking(who):
    booking = running()
    with pytest.raises(ValidationError) as exc:
        end(booking, by=who(booking))
    assert refusal(exc) == rules.END_NOT_OPERATOR
    booking.refresh_from_db()
    assert booking.end == add_months(booking.start, 6) and not booking.events.exists()


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_the_reason_is_required(reason):
    booking = running()
    with pytest.raises(ValidationError) as exc:
        end(booking, reason=reason)
    assert refusal(exc) == services.END_REASON_NEEDED
    assert not booking.events.exists()


def test_the_end_is_today_at_the_earliest_after_the_start_and_not_after_the_end():
    booking = running(started_days_ago=1, months=1)
    original = booking.end
    for day, message in [
        (TODAY() - DAY, "today"),
        (original + DAY, "already ends on"),
    ]:
        with pytest.raises(ValidationError) as exc:
            end(booking, end=day)
        assert message in refusal(exc)
    # Started today: its first day is today, so the earliest end is tomorrow.
    today_start = running(started_days_ago=0)
    with pytest.raises(ValidationError) as exc:
        end(today_start)
    assert "after the first day" in refusal(exc)
    booking.refresh_from_db()
    assert booking.end == original and not booking.events.exists()


@pytest.mark.parametrize("status", ["declined", "cancelled", "expired"])
def test_a_closed_booking_cannot_be_ended(status):
    booking = BookingFactory(status=status)
    with pytest.raises(ValidationError) as exc:
        end(booking)
    assert refusal(exc) == f"A {status} booking cannot be ended."


def test_an_ended_booking_cannot_be_ended_again():
    booking = running(started_days_ago=200, months=6)
    with pytest.raises(ValidationError) as exc:
        end(booking)
    assert refusal(exc) == rules.BOOKING_ALREADY_ENDED


def test_no_refund_without_payments_or_before_the_start():
    booking = running()
    with pytest.raises(ValidationError) as exc:
        end(booking, refund=services.Decimal("10"))
    assert refusal(exc) == services.END_REFUND_OFF  # no Stripe keys in tests by default
    upcoming = BookingFactory(status="approved")
    with pytest.raises(ValidationError) as exc:
        end(upcoming, refund=services.Decimal("10"))
    assert refusal(exc) == services.END_REFUND_NOT_RUNNING
    for bad in ("-1", "0.001", "NaN"):
        with pytest.raises(ValidationError) as exc:
            end(booking, refund=services.Decimal(bad))
        assert refusal(exc) == services.END_REFUND_BAD
    assert not booking.events.exists() and not upcoming.events.exists()


# --- What it does ----------------------------------------------------------------------------


def test_a_pending_request_is_declined_with_the_reason(run_jobs, freed):
    booking = BookingFactory()
    by = operator()
    end(booking, by=by, reason="Fraud: a stolen card.")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED
    event = booking.events.get()
    assert (event.actor, event.note) == (by, "Declined by PivotDesk. Reason: Fraud: a stolen card.")
    assert freed == []  # a request held no desks
    run_jobs()
    run_jobs()
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert len(mail.outbox) == 2
    assert subjects[booking.guest.email] == subjects[booking.listing.host.email]
    assert subjects[booking.guest.email].startswith("Declined by PivotDesk: request #")
    assert all("Fraud: a stolen card." in m.body for m in mail.outbox)


def test_before_the_start_it_is_cancelled_as_the_guest_would(run_jobs, freed):
    listing = ListingFactory(desks=2)
    booking = BookingFactory(listing=listing, desks=2, status="approved")
    told = []

    def receiver(sender, *, booking, **kwargs):
        told.append(booking.pk)

    booking_cancelled_before_start.connect(receiver, dispatch_uid="test-before-start")
    try:
        end(booking, reason="The host's lease ended.")
    finally:
        booking_cancelled_before_start.disconnect(dispatch_uid="test-before-start")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert told == [booking.pk]  # payments voids what is unpaid and refunds what is paid
    assert freed == [listing.pk]
    assert desks_free(listing=listing, start=booking.start, months=1) == 2
    run_jobs()
    assert len(mail.outbox) == 2
    guest_mail = next(m for m in mail.outbox if m.to == [booking.guest.email])
    assert guest_mail.subject.startswith("Cancelled by PivotDesk: booking #")
    assert "Everything you paid for it goes back" in guest_mail.body
    assert "The host's lease ended." in guest_mail.body


def test_a_running_booking_ends_on_the_day_chosen_and_its_desks_are_free_from_then(run_jobs, freed):
    booking = running(started_days_ago=40, months=6, desks=2)
    listing = booking.listing
    day = TODAY() + 10 * DAY
    by = operator()
    end(booking, by=by, end=day, reason="The guest broke the house rules.")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED
    assert booking.end == day and booking.notice_given_at is not None
    event = booking.events.get()
    assert event.actor == by
    assert event.note == (
        f"Ended by PivotDesk: the desks are free from {day:%B} {day.day}, {day.year}. "
        "Reason: The guest broke the house rules."
    )
    assert freed == [listing.pk]
    assert desks_free(listing=listing, start=day - DAY, months=1) == 0
    assert desks_free(listing=listing, start=day, months=1) == 2
    run_jobs()
    run_jobs()  # emails go once
    assert sorted(m.to[0] for m in mail.outbox) == sorted([booking.guest.email, listing.host.email])
    for message in mail.outbox:
        assert message.subject.startswith(f"Ended by PivotDesk: booking #{booking.pk}")
        assert "The guest broke the house rules." in message.body
        assert f"{day:%B} {day.day}, {day.year}" in message.body
    # The guest can no longer give notice past it: the end is set.
    with pytest.raises(ValidationError):
        services.booking_cancel(booking=booking, by=booking.guest)


def test_a_booking_is_ended_once_a_form_sent_twice_changes_nothing_more(client, run_jobs):
    booking = running(started_days_ago=40, months=6)
    day = TODAY() + 10 * DAY
    client.force_login(operator())
    data = {"reason": "Flooded.", "end": day.isoformat()}
    assert client.post(end_url(booking), data).status_code == 302
    again = client.post(end_url(booking), data)
    assert again.status_code == 200
    assert rules.END_ALREADY_BY_OPERATOR.format(at=TODAY(), end=day) in again.content.decode()
    # Nor by the service with another day.
    with pytest.raises(ValidationError) as exc:
        end(booking, end=day - DAY)
    assert refusal(exc) == rules.END_ALREADY_BY_OPERATOR.format(at=TODAY(), end=day)
    booking.refresh_from_db()
    assert booking.end == day and booking.events.count() == 1
    run_jobs()
    assert len(mail.outbox) == 2  # one email each side, not two


def test_the_guest_and_host_pages_say_pivotdesk_ended_it_when_and_why(client):
    booking = running(started_days_ago=40, months=6)
    day = TODAY() + 10 * DAY
    end(booking, end=day, reason="The guest broke the house rules.")
    on = f"{day:%B} {day.day}, {day.year}"
    for user in (booking.guest, booking.listing.host):
        client.force_login(user)
        html = client.get(booking.get_absolute_url()).content.decode()
        assert f"ended by PivotDesk, desks free from {on}" in html
        assert "Reason: The guest broke the house rules." in html
        assert "notice given" not in html and "after notice" not in html
        # Nothing the service would refuse: no notice, no cancel, no desk change.
        assert reverse("bookings:cancel", args=[booking.pk]) not in html


def test_the_history_names_pivotdesk_not_the_operator(client):
    booking = running()
    staff = UserFactory(is_staff=True, is_superuser=True, name="Oona Operator")
    end(booking, by=staff, reason="The space flooded.")
    for user in (booking.guest, booking.listing.host):
        client.force_login(user)
        html = client.get(booking.get_absolute_url()).content.decode()
        assert "Approved → Approved by PivotDesk — Ended by PivotDesk" in html
        assert "Oona Operator" not in html


def test_a_declined_request_page_says_pivotdesk_declined_it_and_why(client):
    booking = BookingFactory()
    end(booking, reason="A fraudulent card.")
    client.force_login(booking.guest)
    html = client.get(booking.get_absolute_url()).content.decode()
    assert "declined by PivotDesk" in html and "Reason: A fraudulent card." in html


def test_ending_today_by_default():
    booking = running()
    end(booking)
    booking.refresh_from_db()
    assert booking.end == TODAY()


def test_ending_a_booking_cancels_its_continuation_not_begun():
    booking = running(started_days_ago=40, months=6, desks=2)
    booking.listing.desks = 4
    booking.listing.save()
    later = add_months(booking.start, 2)
    continuation = BookingFactory(
        listing=booking.listing,
        guest=booking.guest,
        desks=3,
        start=later,
        months=4,
        end=booking.end,
        status="approved",
        continues=booking,
    )
    Booking.objects.filter(pk=booking.pk).update(end=later)
    with pytest.raises(ValidationError) as exc:
        end(continuation)  # not begun: the booking it continues is the one to end
    assert f"end booking #{booking.pk}" in refusal(exc)
    end(booking, end=TODAY() + 5 * DAY)
    continuation.refresh_from_db()
    booking.refresh_from_db()
    assert continuation.status == Booking.Status.CANCELLED
    assert booking.end == TODAY() + 5 * DAY
    assert desks_free(listing=booking.listing, start=later, months=1) == 4


# --- The operator's page ---------------------------------------------------------------------


def end_url(booking):
    return reverse("admin:bookings_booking_end", args=[booking.pk])


def test_the_booking_page_links_to_the_end_page_and_the_form_ends_it(client, run_jobs):
    booking = running()
    client.force_login(operator())
    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))
    assert page.status_code == 200
    assert end_url(booking) in page.content.decode()
    form = client.get(end_url(booking))
    html = form.content.decode()
    assert form.status_code == 200
    assert 'name="reason"' in html and 'name="end"' in html
    assert 'name="refund"' not in html  # payments are off without Stripe keys
    done = client.post(
        end_url(booking), {"reason": "Flooded.", "end": (TODAY() + 3 * DAY).isoformat()}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:bookings_booking_change", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.end == TODAY() + 3 * DAY
    followed = client.get(done["Location"]).content.decode()
    assert f"Booking #{booking.pk} ended" in followed
    assert end_url(booking) not in followed  # ended once: not offered again


def test_the_end_page_shows_errors_and_saves_nothing(client):
    booking = running()
    original = booking.end
    client.force_login(operator())
    for data, error in [
        ({"reason": "", "end": TODAY().isoformat()}, services.END_REASON_NEEDED),
        ({"reason": "x", "end": (TODAY() - DAY).isoformat()}, "at the earliest"),
        ({"reason": "x", "end": "9999-99-99"}, "Enter a valid date"),
    ]:
        response = client.post(end_url(booking), data)
        assert response.status_code == 200
        assert error in response.content.decode()
    booking.refresh_from_db()
    assert booking.end == original and not booking.events.exists()


def test_a_request_and_an_upcoming_booking_are_offered_no_day(client):
    client.force_login(operator())
    for booking in (BookingFactory(), BookingFactory(status="approved")):
        html = client.get(end_url(booking)).content.decode()
        assert 'name="reason"' in html and 'name="end"' not in html
    declined = BookingFactory(status="declined")
    page = client.get(reverse("admin:bookings_booking_change", args=[declined.pk]))
    assert end_url(declined) not in page.content.decode()


def test_hosts_guests_and_strangers_cannot_reach_the_end_page(client):
    booking = running()
    url = end_url(booking)
    assert client.get(url).status_code == 302  # to the login page
    assert client.post(url, {"reason": "x", "end": TODAY().isoformat()}).status_code == 302
    for user in (booking.listing.host, booking.guest, UserFactory(is_staff=True)):
        client.force_login(user)
        response = client.post(url, {"reason": "x", "end": TODAY().isoformat()})
        assert response.status_code == 302 and "/login/" in response["Location"]
    # The host admin has no such page.
    client.force_login(host_with_permissions(booking.listing.host))
    host_url = f"/host/bookings/booking/{booking.pk}/end/"
    assert client.post(host_url, {"reason": "x"}).status_code in (302, 403, 404, 405)
    page = client.get(reverse("host:bookings_booking_change", args=[booking.pk]))
    assert page.status_code == 200 and "End this booking" not in page.content.decode()
    booking.refresh_from_db()
    assert not booking.events.exists()


@pytest.mark.parametrize("pk", ["999999", "99999999999999999999", "0"])
def test_a_forged_id_is_404(client, pk):
    client.force_login(operator())
    assert client.get(f"/admin/bookings/booking/{pk}/end/").status_code == 404
    assert client.post(f"/admin/bookings/booking/{pk}/end/", {"reason": "x"}).status_code == 404
