"""Tours' jobs: the emails (tours.emails) and the reminders, enqueued by the clock."""

from crontask import cron
from django.tasks import task

from .services import tour_remind


@cron("20 * * * *")
@task
def tours_remind() -> int:
    """Hourly: both sides of every tour within a day are reminded, once per tour and time."""
    return tour_remind()
