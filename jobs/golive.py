"""golive's worker row: the worker sends every email, so one must be taking jobs and keeping up."""

from datetime import timedelta

from django.utils import timezone

from pivotdesk.readiness import BLOCKER, OK, WARNING, Row, ago, short

from .selectors import queue_health

# The clock enqueues a job every minute (jobs.tasks), so a live worker takes one that often.
WORKER_SILENT_AFTER = timedelta(minutes=5)
QUEUE_BEHIND_AFTER = timedelta(minutes=5)


def check_worker() -> Row:
    try:
        health = queue_health()
    except Exception as exc:  # the database row says why, as a blocker
        return Row("worker", WARNING, f"queue unreadable: {short(exc)}")
    scale = "heroku ps:scale worker=1 clock=1"
    if health.last_started_at is None or (
        timezone.now() - health.last_started_at > WORKER_SILENT_AFTER
    ):
        last = ago(health.last_started_at) if health.last_started_at else "never"
        return Row(
            "worker",
            BLOCKER,
            f"no worker has taken a job ({last}): emails are not going out; {scale}",
        )
    detail = f"took a job {ago(health.last_started_at)}; {health.waiting} waiting"
    if health.oldest_waiting_since:
        detail += f", oldest since {ago(health.oldest_waiting_since)}"
        if timezone.now() - health.oldest_waiting_since > QUEUE_BEHIND_AFTER:
            return Row("worker", BLOCKER, f"{detail}: behind; heroku ps:scale worker=2")
    if health.failed:
        return Row(
            "worker", WARNING, f"{detail}; {health.failed} failed job(s): see /admin/, retry"
        )
    return Row("worker", OK, detail)


def golive_rows() -> list[Row]:
    return [check_worker()]
