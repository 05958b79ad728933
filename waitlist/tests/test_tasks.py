"""The clock's waitlist job and the offer email."""

import datetime
import re

import crontask
import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bookings.models import Hold
from bookings.tests.factories import BookingFactory
from listings.services import listing_archive
from listings.tests.factories import ListingFactory
from waitlist import tasks
from waitlist.models import WaitlistEntry
from waitlist.selectors import waitlist_place
from waitlist.services import offer_accept, offers_lapse, offers_make

from .factories import WaitlistEntryFactory


def test_the_clock_sweeps_the_waitlists_every_five_minutes():
    assert tasks.waitlist_offers_sweep
    jobs = {job.name: str(job.trigger) for job in crontask.scheduler.get_jobs()}
    assert "minute='*/5'" in jobs["waitlist_offers_sweep"]


def test_the_offer_email_has_one_link_that_opens_the_offer(run_jobs, client):
    listing = ListingFactory(desks=2, title="Quiet loft")
    entry = WaitlistEntryFactory(listing=listing, desks=2)
    offers_make(listing_id=listing.pk)
    run_jobs()
    run_jobs()  # a second run sends nothing again
    [email] = mail.outbox
    assert email.to == [entry.guest.email] and "Quiet loft" in email.subject
    links = set(re.findall(r"https?://\S+/waitlist/offer/\S+/", email.body))
    assert len(links) == 1
    path = re.sub(r"^https?://[^/]+", "", links.pop())
    client.force_login(entry.guest)
    assert client.get(path).status_code == 200
    client.force_login(UserFactory())
    assert client.get(path).status_code == 404


def test_no_offer_email_for_an_offer_left_before_it_went_out(run_jobs):
    listing = ListingFactory(desks=1)
    entry = WaitlistEntryFactory(listing=listing)
    [entry] = offers_make(listing_id=listing.pk)
    WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.LEFT)
    Hold.objects.filter(pk=entry.hold_id).update(status=Hold.Status.DECLINED)
    run_jobs()
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_sweep_lapses_offers_and_offers_free_desks():
    listing = ListingFactory(desks=1)
    BookingFactory(
        listing=listing,
        desks=1,
        status="approved",
        start=timezone.localdate() + datetime.timedelta(days=60),
        months=1,
    )
    entry = WaitlistEntryFactory(listing=listing)  # a month from a week on: free
    assert tasks.waitlist_offers_sweep.call() == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    Hold.objects.filter(pk=entry.hold_id).update(expires_at=timezone.now())
    assert tasks.waitlist_offers_sweep.call() == 1  # lapsed; no one else waits
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.LAPSED


def _lapse_emails(entry):
    return [m for m in mail.outbox if m.to == [entry.guest.email] and "lapsed" in m.subject]


def test_a_lapsed_offer_tells_its_guest_once_and_how_to_join_again(run_jobs, client):
    listing = ListingFactory(desks=2, title="Quiet loft")
    entry = WaitlistEntryFactory(listing=listing, desks=2)
    behind = WaitlistEntryFactory(listing=listing, desks=2)
    last = WaitlistEntryFactory(listing=listing, desks=2)
    [entry] = offers_make(listing_id=listing.pk)
    run_jobs()  # the offer email goes out; its 24 hours start
    later = timezone.now() + datetime.timedelta(hours=25)
    assert offers_lapse(now=later) == 1
    assert offers_lapse(now=later) == 0  # the clock's next sweep: nothing lapses twice
    run_jobs()
    run_jobs()
    [email] = _lapse_emails(entry)
    assert email.subject == "Your offer at Quiet loft has lapsed"
    assert "You are no longer on this space's waitlist." in email.body
    assert "Quiet loft" in email.alternatives[0].content
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.LAPSED and not entry.is_open
    # The next in line has the desks, as before.
    behind.refresh_from_db()
    assert behind.status == WaitlistEntry.Status.OFFERED
    assert any(behind.guest.email in m.to and "Desks free" in m.subject for m in mail.outbox)
    # The link opens the join form with the same desks and move-in day; joining again
    # puts the guest at the back of the line.
    [link] = re.findall(r"https?://\S+/waitlist/\?\S+", email.body)
    path = re.sub(r"^https?://[^/]+", "", link)
    assert f"desks=2&move_in={entry.hold.start.isoformat()}" in path
    client.force_login(entry.guest)
    form = client.get(path)
    assert form.status_code == 200 and 'value="2"' in form.content.decode()
    data = {"desks": "2", "start": entry.hold.start.isoformat(), "months": "1"}
    assert client.post(path, data).status_code == 302
    again = WaitlistEntry.objects.open().get(guest=entry.guest)
    assert again.pk != entry.pk
    assert waitlist_place(entry=last) == 1 and waitlist_place(entry=again) == 2
    assert listing.get_absolute_url() in email.body


def test_no_lapse_email_for_an_offer_taken_up_in_time(run_jobs):
    listing = ListingFactory(desks=1)
    entry = WaitlistEntryFactory(listing=listing)
    [entry] = offers_make(listing_id=listing.pk)
    run_jobs()
    offer_accept(entry=entry, guest=entry.guest)
    assert offers_lapse(now=timezone.now() + datetime.timedelta(days=2)) == 0
    run_jobs()
    assert _lapse_emails(entry) == []


def test_the_lapse_email_of_a_space_no_longer_listed_offers_no_way_back(run_jobs):
    listing = ListingFactory(desks=1)
    entry = WaitlistEntryFactory(listing=listing)
    [entry] = offers_make(listing_id=listing.pk)
    run_jobs()
    listing_archive(listing=listing)
    assert offers_lapse(now=timezone.now() + datetime.timedelta(hours=25)) == 1
    run_jobs()
    [email] = _lapse_emails(entry)
    assert "no longer listed, so its waitlist is closed" in email.body
    assert "/waitlist/?" not in email.body
