"""Bookings' jobs: the emails (bookings.emails) and the periodic expiry, enqueued by the clock."""

from crontask import cron
from django.tasks import task

from .answers import host_answers_refresh
from .changes import booking_changes_expire
from .reviews import reviews_invite
from .services import booking_expire_stale, booking_remind_hosts


@cron("*/10 * * * *")
@task
def bookings_expire_stale() -> int:
    """Every 10 minutes: requests whose answer-by time passed (72 hours, or the
    end of the day before the move-in day) expire and their guests are told."""
    return booking_expire_stale()


@cron("15 * * * *")
@task
def bookings_remind_hosts() -> int:
    """Hourly: hosts whose requests expire within a day are reminded, once per request."""
    return booking_remind_hosts()


@cron("0 10 * * *")
@task
def bookings_invite_reviews() -> int:
    """Daily: guests whose booking has run a month (or ended) are invited to review it,
    once per booking."""
    return reviews_invite()


@cron("40 * * * *")
@task
def bookings_host_answers_refresh() -> int:
    """Hourly: how fast each host answers (the 90-day window moves on with the clock)."""
    return host_answers_refresh()


@cron("5 0 * * *")
@task
def bookings_expire_changes() -> int:
    """Daily, just after midnight (Denver): desk changes whose day has come unanswered expire
    and their guests are told; they leave the host's list."""
    return booking_changes_expire()
