"""Alerts under concurrency, on Postgres (SQLite serialises every write, so it proves nothing):
two runs at once send each alert once; two saves of one search at once keep one."""

import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from alerts.models import Alert, SavedSearch
from alerts.services import alerts_send, saved_search_create
from alerts.tests.factories import SavedSearchFactory
from listings.tests.factories import ListingFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


def run_together(call, n=THREADS):
    barrier = threading.Barrier(n, timeout=30)
    outcomes = [None] * n

    def worker(i):
        try:
            barrier.wait()
            outcomes[i] = call()
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes


def test_simultaneous_runs_queue_and_send_each_alert_once(postgres_only, run_jobs):
    searches = [SavedSearchFactory(query="") for _ in range(4)]
    ListingFactory()
    now = timezone.make_aware(datetime.datetime(2027, 3, 1, 7, 0))
    outcomes = run_together(lambda: alerts_send(now=now))
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == len(searches)
    assert Alert.objects.count() == len(searches)
    run_jobs()
    assert len(mail.outbox) == len(searches)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.user.email for s in searches)


def test_simultaneous_saves_of_one_search_keep_one(postgres_only):
    guest = UserFactory()
    outcomes = run_together(
        lambda: saved_search_create(user=guest, name="Boulder", query="city=boulder&desks=2")
    )
    saved = [o for o in outcomes if isinstance(o, SavedSearch)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(saved) == 1 and len(refused) == THREADS - 1, outcomes
    assert all(exc.code == "duplicate" for exc in refused)
    assert SavedSearch.objects.filter(user=guest).count() == 1
