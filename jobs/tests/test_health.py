"""golive's worker row: a worker took a job lately, and the queue keeps up."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.golive import check_worker
from jobs.selectors import queue_health
from jobs.tasks import jobs_requeue_abandoned
from pivotdesk.readiness import BLOCKER, OK, WARNING

pytestmark = pytest.mark.django_db


def job(*, started_minutes_ago=None, waiting_minutes=None, failed=False) -> DBTaskResult:
    row = jobs_requeue_abandoned.enqueue().db_result
    now = timezone.now()
    if started_minutes_ago is not None:
        row.claim("worker.1")
        row.started_at = now - datetime.timedelta(minutes=started_minutes_ago)
        row.status = "FAILED" if failed else "SUCCESSFUL"
        row.save()
    if waiting_minutes is not None:
        DBTaskResult.objects.filter(pk=row.pk).update(
            enqueued_at=now - datetime.timedelta(minutes=waiting_minutes)
        )
    return row


def test_no_worker_ever_blocks():
    row = check_worker()
    assert row.status == BLOCKER and "never" in row.detail and "ps:scale worker=1" in row.detail


def test_a_worker_silent_for_minutes_blocks():
    job(started_minutes_ago=7)
    row = check_worker()
    assert row.status == BLOCKER and "7 min" in row.detail


def test_a_live_worker_with_a_short_queue_is_ok():
    job(started_minutes_ago=0.5)
    job(waiting_minutes=1)
    row = check_worker()
    assert row.status == OK
    assert "1 waiting, oldest since 1 min" in row.detail


def test_a_queue_that_falls_behind_blocks():
    job(started_minutes_ago=0.5)
    job(waiting_minutes=9)
    row = check_worker()
    assert row.status == BLOCKER and "behind" in row.detail and "worker=2" in row.detail


def test_failed_jobs_warn():
    job(started_minutes_ago=0.5, failed=True)
    row = check_worker()
    assert row.status == WARNING and "1 failed job(s)" in row.detail


def test_queue_health_counts_what_waits_and_when_a_worker_last_took_a_job():
    taken = job(started_minutes_ago=2)
    job(waiting_minutes=3)
    health = queue_health()
    assert health.waiting == 1 and health.failed == 0
    assert health.last_started_at == DBTaskResult.objects.get(pk=taken.pk).started_at
    assert timezone.now() - health.oldest_waiting_since > datetime.timedelta(minutes=3)
