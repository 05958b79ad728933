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
from listings.tests.factories import ListingFactory
from waitlist import tasks
from waitlist.models import WaitlistEntry
from waitlist.services import offers_make

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
