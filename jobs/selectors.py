"""Reads about the job queue, for golive and the operator."""

import datetime
from typing import NamedTuple

from django.db.models import Case, F, Max, Min, When
from django_tasks_db.models import DBTaskResult, get_date_max


class QueueHealth(NamedTuple):
    waiting: int  # ready to run now
    oldest_waiting_since: datetime.datetime | None  # when the longest-waiting one became ready
    last_started_at: datetime.datetime | None  # when a worker last took a job
    failed: int  # gave up after their retries, waiting for an operator


def queue_health() -> QueueHealth:
    ready = DBTaskResult.objects.ready()
    since = ready.aggregate(
        oldest=Min(
            Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
        )
    )["oldest"]
    return QueueHealth(
        waiting=ready.count(),
        oldest_waiting_since=since,
        last_started_at=DBTaskResult.objects.aggregate(last=Max("started_at"))["last"],
        failed=DBTaskResult.objects.failed().count(),
    )
