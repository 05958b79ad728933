"""Tours' jobs: the emails (tours.emails) and the reminders, enqueued by the clock."""

from crontask import cron
from django.tasks import task

from .services import tour_follow_up, tour_remind


@cron("20 * * * *")
@task
def tours_remind() -> int:
    """Hourly: both sides of every tour within a day are reminded, once per tour and time."""
    return tour_remind()


@cron("40 * * * *")
@task
def tours_follow_up() -> int:
    """Hourly: guests whose tour ended get the listing's request form, pre-filled, once."""
    return tour_follow_up()
