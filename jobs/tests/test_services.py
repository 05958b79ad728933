"""Retries with backoff, abandoned jobs, effects done once, an operator's retry."""

import datetime
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bookings.emails import booking_email_send
from bookings.tests.factories import BookingFactory
from jobs import services
from jobs.models import Effect

pytestmark = pytest.mark.django_db


def poisoned_job() -> DBTaskResult:
    """A job that fails however often it runs (an email kind that does not exist)."""
    return booking_email_send.enqueue(
        booking_id=BookingFactory().pk, kind="nope", to="host"
    ).db_result


def test_retry_delay_grows_fourfold_up_to_its_cap(settings):
    settings.TASKS_RETRY_DELAY_S = 15
    settings.TASKS_RETRY_DELAY_MAX_S = 3600
    delays = [services.retry_delay(attempt=n).total_seconds() for n in range(1, 6)]
    assert delays == [15, 60, 240, 960, 3600]


def test_a_failing_job_is_retried_then_stops_failed_with_its_error(settings, run_jobs, caplog):
    settings.TASKS_MAX_ATTEMPTS = 3
    settings.TASKS_RETRY_DELAY_S = 0
    job = poisoned_job()
    with caplog.at_level(logging.WARNING, logger="jobs.services"):
        run_jobs()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED
    assert len(job.worker_ids) == 3
    assert job.exception_class_path == "builtins.ValueError" and "'nope'" in job.traceback
    messages = [r.getMessage() for r in caplog.records if r.name == "jobs.services"]
    assert sum("tries again" in m for m in messages) == 2
    assert any("gave up after 3 attempts" in m for m in messages)


def test_a_failed_attempt_waits_for_its_backoff(settings, run_jobs):
    settings.TASKS_RETRY_DELAY_S = 60
    job = poisoned_job()
    before = timezone.now()
    run_jobs()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY and len(job.worker_ids) == 1
    assert before + datetime.timedelta(seconds=59) < job.run_after
    assert "ValueError" in job.traceback  # the last error stays visible while it waits


def test_abandoned_running_jobs_are_made_ready_again_or_failed_when_out_of_attempts(settings):
    settings.TASKS_ABANDONED_AFTER_S = 300
    settings.TASKS_MAX_ATTEMPTS = 2
    now = timezone.now()
    lost, spent, live = poisoned_job(), poisoned_job(), poisoned_job()
    for job, worker_ids, minutes in [(lost, [], 6), (spent, ["w0"], 6), (live, [], 1)]:
        job.worker_ids = worker_ids
        job.claim("killed-worker")
        DBTaskResult.objects.filter(pk=job.pk).update(
            started_at=now - datetime.timedelta(minutes=minutes)
        )

    assert services.jobs_requeue_abandoned(now=now) == 2

    statuses = {j.pk: j.status for j in DBTaskResult.objects.all()}
    assert statuses == {lost.pk: "READY", spent.pk: "FAILED", live.pk: "RUNNING"}
    assert DBTaskResult.objects.get(pk=spent.pk).traceback == services.ABANDONED_ERROR
    assert DBTaskResult.objects.ready().filter(pk=lost.pk).exists()  # runs at once


def test_an_operator_retries_a_failed_job_once_more(settings, run_jobs):
    settings.TASKS_MAX_ATTEMPTS = 1
    job = poisoned_job()
    run_jobs()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED

    services.job_retry(job=job)
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY
    run_jobs()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED and len(job.worker_ids) == 2


def test_only_a_failed_job_can_be_retried():
    job = poisoned_job()
    with pytest.raises(ValidationError) as exc:
        services.job_retry(job=job)
    assert exc.value.messages == [services.JOB_NOT_FAILED]


def test_effect_once_runs_an_effect_once_per_key():
    done = []
    assert services.effect_once(key="k1", effect=lambda: done.append(1)) is True
    assert services.effect_once(key="k1", effect=lambda: done.append(2)) is False
    assert services.effect_once(key="k2", effect=lambda: done.append(3)) is True
    assert done == [1, 3]
    assert sorted(Effect.objects.values_list("key", flat=True)) == ["k1", "k2"]


def test_an_effect_that_fails_leaves_no_marker_so_the_retry_does_it():
    def refused():
        raise ConnectionRefusedError

    with pytest.raises(ConnectionRefusedError):
        services.effect_once(key="k", effect=refused)
    assert not Effect.objects.exists()
    done = []
    assert services.effect_once(key="k", effect=lambda: done.append(1)) is True
    assert done == [1]


def test_an_effect_key_is_unique_in_the_database():
    Effect.objects.create(key="once")
    with pytest.raises(IntegrityError):
        Effect.objects.create(key="once")


def test_mail_to_a_closed_accounts_address_is_dropped_not_retried(mailoutbox):
    gone = EmailMessage("Hello", "body", to=["closed-7@closed.invalid"])
    assert services.email_send_once(key="test:gone", message=gone) is False
    assert mailoutbox == [] and Effect.objects.filter(key="test:gone").exists()

    both = EmailMessage("Hello", "body", to=["Ann <ann@example.com>", "closed-8@closed.invalid"])
    both.cc = ["closed-9@Closed.INVALID"]
    assert services.email_send_once(key="test:both", message=both) is True
    [sent] = mailoutbox
    assert sent.recipients() == ["Ann <ann@example.com>"]
