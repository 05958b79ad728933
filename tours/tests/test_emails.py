"""Both sides get each tour email with a calendar invitation, once; a move updates the
invitation (same UID, higher SEQUENCE) and a cancellation cancels it; the clock's reminder
goes out once per tour and time."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory
from tours import services, tasks

from .factories import open_every_day
from .helpers import days_ahead, local, move_in

UTC = datetime.UTC


def invitation(message):
    """(METHOD, the VEVENT) of the email's .ics attachment."""
    (attachment,) = [a for a in message.attachments if a.filename == "tour.ics"]
    assert attachment.mimetype.startswith("text/calendar")
    content = attachment.content
    calendar = Calendar.from_ical(content if isinstance(content, bytes) else content.encode())
    (event,) = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


@pytest.fixture
def booked(transactional_db):
    listing = open_every_day(
        ListingFactory(title="Loft on Pearl", address="1942 Pearl St, Boulder, CO")
    )
    guest = UserFactory(email="gia@guests.test", name="Gia Guest")
    tour = services.tour_book(
        guest=guest, listing=listing, starts_at=local(days_ahead(3), 10), desks=3, move_in=move_in()
    )
    return tour


def test_both_sides_get_an_invitation_at_the_local_time(booked, run_jobs):
    run_jobs()
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {"gia@guests.test", booked.listing.host.email}
    guest_mail, host_mail = by_to["gia@guests.test"], by_to[booked.listing.host.email]
    assert guest_mail.subject.startswith("Your tour of Loft on Pearl")
    assert host_mail.subject.startswith("New tour: Loft on Pearl")
    assert "10:00 AM" in guest_mail.subject and "10:00 AM (Denver time)" in guest_mail.body
    assert "needs 3 desks" in host_mail.body
    for message, reader in [
        (guest_mail, "gia@guests.test"),
        (host_mail, booked.listing.host.email),
    ]:
        method, event = invitation(message)
        assert method == "REQUEST"
        assert str(event["UID"]) == f"tour-{booked.pk}@127.0.0.1"
        assert event["SEQUENCE"] == 0
        assert event.decoded("DTSTART") == booked.starts_at.astimezone(UTC)
        assert event.decoded("DTEND") - event.decoded("DTSTART") == datetime.timedelta(minutes=30)
        assert str(event["LOCATION"]) == "1942 Pearl St, Boulder, CO"
        # Only its reader is named: the other party's address is not handed over.
        assert str(event["ATTENDEE"]) == f"mailto:{reader}"
    run_jobs()
    assert len(mail.outbox) == 2, "a job run again sends nothing twice"


def test_a_move_sends_an_updated_invitation(booked, run_jobs):
    run_jobs()
    mail.outbox.clear()
    services.tour_move(tour=booked, by=booked.guest, starts_at=local(days_ahead(4), 15, 30))
    run_jobs()
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject.startswith("Tour moved to")
        method, event = invitation(message)
        assert method == "REQUEST"
        assert str(event["UID"]) == f"tour-{booked.pk}@127.0.0.1"
        assert event["SEQUENCE"] == 1
        start = timezone.localtime(event.decoded("DTSTART"))
        assert (start.date(), start.hour, start.minute) == (days_ahead(4), 15, 30)


def test_a_cancellation_cancels_the_invitation(booked, run_jobs):
    run_jobs()
    mail.outbox.clear()
    services.tour_cancel(tour=booked, by=booked.listing.host)
    run_jobs()
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject.startswith("Tour cancelled")
        assert "The host cancelled" in message.body
        method, event = invitation(message)
        assert method == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert event["SEQUENCE"] == 1


def test_an_email_overtaken_by_a_move_is_not_sent(booked, run_jobs):
    services.tour_move(tour=booked, by=booked.guest, starts_at=local(days_ahead(3), 11))
    run_jobs()
    # The booked emails were overtaken: only the current invitation goes out.
    assert all(m.subject.startswith("Tour moved") for m in mail.outbox)
    assert len(mail.outbox) == 2


def test_the_reminder_goes_the_day_before_once_per_tour_and_time(booked, run_jobs):
    run_jobs()
    mail.outbox.clear()
    day_before = booked.starts_at - datetime.timedelta(hours=20)
    assert services.tour_remind(now=booked.starts_at - datetime.timedelta(days=2)) == 0
    assert services.tour_remind(now=day_before) == 1
    assert services.tour_remind(now=day_before + datetime.timedelta(hours=1)) == 0
    run_jobs()
    assert len(mail.outbox) == 2
    assert all(m.subject.startswith("Tomorrow: tour of Loft on Pearl") for m in mail.outbox)
    assert {invitation(m)[0] for m in mail.outbox} == {"REQUEST"}


def test_a_tour_booked_within_a_day_gets_no_reminder(transactional_db):
    listing = open_every_day(ListingFactory())
    soon = local(days_ahead(1), 16)
    now = soon - datetime.timedelta(hours=20)
    services.tour_book(
        guest=UserFactory(), listing=listing, starts_at=soon, desks=1, move_in=move_in(), now=now
    )
    assert services.tour_remind(now=now + datetime.timedelta(hours=1)) == 0


def test_the_clock_runs_the_reminders_hourly(db):
    import crontask

    jobs = {job.name: str(job.trigger) for job in crontask.scheduler.get_jobs()}
    assert "minute='20'" in jobs["tours_remind"]
    assert tasks.tours_remind.call() == 0
