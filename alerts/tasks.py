"""Alerts' jobs: the alert emails (alerts.emails) and the daily run, enqueued by the clock."""

from crontask import cron
from django.tasks import task

from .services import alerts_send


@cron("0 7 * * *")
@task
def alerts_send_due() -> int:
    """Every morning (7:00, America/Denver): daily saved searches get their alert, weekly
    ones on the first run of each ISO week; nothing new, no email."""
    return alerts_send()
