"""An offer's writes lock in the one order (docs/decisions/0155): the listing, then the
offer's hold (a bookings row), then the waitlist entry, never the entry before its hold.

Postgres only: the order is read from the ``FOR UPDATE`` statements each service runs
(SQLite takes no row locks).
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.models import Hold
from bookings.services import hold_clock_start
from listings.tests.factories import ListingFactory
from waitlist import services
from waitlist.models import WaitlistEntry

from .factories import WaitlistEntryFactory

pytestmark = pytest.mark.postgres

ORDER = ["listings_listing", "bookings_hold", "waitlist_waitlistentry"]


def _locked_tables(queries) -> list[str]:
    """The tables locked by ``queries``' row locks, each once, in the order first locked."""
    tables = []
    for query in queries:
        sql = query["sql"]
        if not re.search(r"FOR (NO KEY )?UPDATE", sql):
            continue
        table = re.search(r'FROM "(\w+)"', sql).group(1)
        if table not in tables:
            tables.append(table)
    return tables


def _offered() -> WaitlistEntry:
    listing = ListingFactory(desks=4)
    entry = WaitlistEntryFactory(listing=listing, desks=1)
    assert services.offers_make(listing_id=listing.pk) == [entry]
    entry.refresh_from_db()
    hold_clock_start(hold=entry.hold, expires_at=timezone.now() + datetime.timedelta(days=1))
    return entry


def _order(call) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        call()
    return [table for table in _locked_tables(queries.captured_queries) if table in ORDER]


def test_taking_up_an_offer_locks_the_hold_before_the_entry(postgres_only):
    entry = _offered()
    assert _order(lambda: services.offer_accept(entry=entry, guest=entry.guest)) == ORDER
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistEntry.Status.BOOKED


def test_declining_an_offer_locks_the_hold_before_the_entry(postgres_only):
    entry = _offered()
    assert _order(lambda: services.offer_decline(entry=entry, guest=entry.guest)) == ORDER
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistEntry.Status.DECLINED


def test_a_lapse_locks_the_hold_before_the_entry(postgres_only):
    entry = _offered()
    Hold.objects.filter(pk=entry.hold_id).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert _order(lambda: services.offers_lapse()) == ORDER
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistEntry.Status.LAPSED
