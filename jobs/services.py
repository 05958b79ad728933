"""Writes for background jobs: effects done once, retries with backoff, abandoned jobs made
ready again, an operator's retry.

Jobs are django-tasks-db rows (``DBTaskResult``). Its worker runs a job once and records
success or failure; the retry policy here turns a failure into a later attempt of the same
row, up to ``TASKS_MAX_ATTEMPTS`` (the row's ``worker_ids`` count the attempts).
"""

import datetime
import hashlib
import logging
from collections.abc import Callable
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, connection, transaction
from django.tasks import TaskResult, TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from pivotdesk.emails import site_domain

from .models import Effect

logger = logging.getLogger(__name__)

JOB_NOT_FAILED = "Only a failed job can be retried."
ABANDONED_FIELDS = ("status", "finished_at", "traceback", "exception_class_path", "run_after")
ABANDONED_ERROR = "Abandoned: its worker stopped (killed or restarted) while it ran."


def effect_once(*, key: str, effect: Callable[[], Any]) -> bool:
    """Run ``effect`` unless an effect under ``key`` is already done; return whether it ran.

    The marker is written first, in a transaction that stays open while ``effect`` runs: a
    second run with the same key waits on the unique key, then finds it done. An effect that
    raises rolls its marker back, so a retry tries again. A worker killed after the outside
    world took the effect but before the commit leaves no marker: that effect happens again
    on the retry (at least once, never lost; the window is the commit's round trip).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The commit after the effect need not wait for the WAL flush: that wait is the
            # window in which a killed worker repeats an effect. A database crash in the next
            # fraction of a second could lose the marker (the effect would repeat), never data.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        try:
            with transaction.atomic():
                Effect.objects.create(key=key)
        except IntegrityError:
            return False
        effect()
    return True


# RFC 2606: no address under .invalid can ever receive mail. A closed account's address is
# one (accounts.services.CLOSED_EMAIL): mail to it is dropped, not retried until it fails.
UNDELIVERABLE_DOMAIN = ".invalid"


def _deliverable(addresses) -> list[str]:
    return [a for a in addresses if not parseaddr(a)[1].lower().endswith(UNDELIVERABLE_DOMAIN)]


def email_send_once(*, key: str, message: EmailMessage) -> bool:
    """Send ``message`` unless an email under ``key`` was sent; return whether it went now.
    Recipients under ``.invalid`` are left out; with none left it is done, and nothing goes.

    The connection is opened before the marker and closed (QUIT) after it commits, so a
    worker killed mid-send repeats the email only if it dies between handing the server the
    whole message and that commit (SMTP cannot close this window: RFC 1047).
    """
    if Effect.objects.filter(key=key).exists():
        return False
    message.to, message.cc, message.bcc = (
        _deliverable(message.to),
        _deliverable(message.cc),
        _deliverable(message.bcc),
    )
    if not message.recipients():
        effect_once(key=key, effect=lambda: None)  # nobody to tell, ever: not a retry
        return False
    # The same key, the same Message-ID: a receiving server that has it already (an email
    # repeated in that window) can drop the copy.
    message.extra_headers.setdefault("Message-ID", message_id(key=key))
    with mailers.default as connection:
        return effect_once(key=key, effect=lambda: connection.send_messages([message]))


def message_id(*, key: str) -> str:
    """A Message-ID header made from an email's key, on the site's domain (SITE_URL): the
    same key always gives the same Message-ID (``make_msgid`` would give a new one each
    time, and a repeated email could not be recognised)."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{site_domain()}>"


def retry_delay(*, attempt: int) -> datetime.timedelta:
    """How long a job waits after its ``attempt``-th failure: 1×, 4×, 16×… the base delay."""
    seconds = settings.TASKS_RETRY_DELAY_S * 4 ** (attempt - 1)
    return datetime.timedelta(seconds=min(seconds, settings.TASKS_RETRY_DELAY_MAX_S))


def job_retry_if_failed(sender, task_result: TaskResult, **kwargs) -> None:
    """``task_finished`` receiver: a failed job with attempts left is made ready again after
    ``retry_delay``; its error stays on the row until an attempt succeeds. Never raises (it
    runs inside the worker's own error handling)."""
    try:
        if task_result.status != TaskResultStatus.FAILED:
            return
        if task_result.attempts >= settings.TASKS_MAX_ATTEMPTS:
            logger.error(
                "Job %s (%s) gave up after %d attempts",
                task_result.id,
                task_result.task.name,
                task_result.attempts,
            )
            return
        run_after = timezone.now() + retry_delay(attempt=task_result.attempts)
        DBTaskResult.objects.filter(pk=task_result.id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=run_after, finished_at=None
        )
        logger.warning(
            "Job %s (%s) failed (attempt %d of %d); tries again at %s",
            task_result.id,
            task_result.task.name,
            task_result.attempts,
            settings.TASKS_MAX_ATTEMPTS,
            run_after.isoformat(timespec="seconds"),
        )
    except Exception:
        logger.exception("Could not schedule a retry of job %s", task_result.id)


@transaction.atomic
def jobs_requeue_abandoned(*, now: datetime.datetime | None = None) -> int:
    """Make ready again the jobs still "running" ``TASKS_ABANDONED_AFTER_S`` after they
    started: their worker died (SIGKILL, a lost dyno). The lost run counts as an attempt; a
    job out of attempts is marked failed instead. Returns how many were found."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.TASKS_ABANDONED_AFTER_S)
    abandoned = list(
        DBTaskResult.objects.running()
        .filter(started_at__lt=cutoff)
        .select_for_update(skip_locked=True)
    )
    for job in abandoned:
        logger.warning("Job %s (%s) was abandoned by its worker", job.pk, job.task_path)
        if len(job.worker_ids) >= settings.TASKS_MAX_ATTEMPTS:
            job.status = TaskResultStatus.FAILED
            job.finished_at = now
            job.traceback = ABANDONED_ERROR
            job.exception_class_path = ""
        else:
            job.status = TaskResultStatus.READY
            job.run_after = get_date_max()
        job.save(update_fields=[*ABANDONED_FIELDS])
    return len(abandoned)


@transaction.atomic
def job_retry(*, job: DBTaskResult) -> DBTaskResult:
    """An operator's retry: a failed job runs once more, as soon as a worker is free."""
    job = DBTaskResult.objects.select_for_update().get(pk=job.pk)
    if job.status != TaskResultStatus.FAILED:
        raise ValidationError(JOB_NOT_FAILED)
    job.status = TaskResultStatus.READY
    job.run_after = get_date_max()
    job.finished_at = None
    job.save(update_fields=["status", "run_after", "finished_at"])
    return job
