"""The queue's own periodic jobs. Every periodic job in the project is a task with ``@cron``
in its app's ``tasks.py``; the clock process (``manage.py crontask``) enqueues them."""

from crontask import cron
from django.core.management import call_command
from django.tasks import task

from . import services

PRUNE_AFTER_DAYS = 14  # finished jobs kept this long for operators to look at
PRUNE_FAILED_AFTER_DAYS = 30


@cron("* * * * *")
@task
def jobs_requeue_abandoned() -> int:
    """Every minute: jobs whose worker died run again. Also the worker's heartbeat: golive
    reads "a worker took a job in the last few minutes" from it."""
    return services.jobs_requeue_abandoned()


@cron("17 4 * * *")
@task
def jobs_prune() -> None:
    """Daily: forget finished jobs (django-tasks-db's own command)."""
    call_command(
        "prune_db_task_results",
        min_age_days=PRUNE_AFTER_DAYS,
        failed_min_age_days=PRUNE_FAILED_AFTER_DAYS,
        verbosity=0,
    )
