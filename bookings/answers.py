"""How fast a host answers requests, from the booking history (BookingEvent).

Over the requests made in the last ANSWER_WINDOW: a request the host approved or declined
is answered (the time to answer runs from the request to that event); one that expired is
not. Requests approved at once by instant book, withdrawn by the guest or still waiting
needed no answer and are left out. Each host's figures (how many requests needed an answer,
the median minutes to answer, the share answered) are kept on their listings by
listings.services.host_answer_stats_set, so cards show the badge without a query: refreshed
hourly by the clock and, after a host answers or a request expires, by a job.
"""

import datetime
import statistics

from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone

from listings.services import AnswerStats, host_answer_stats_set

from .models import Booking, BookingEvent

ANSWER_WINDOW = datetime.timedelta(days=90)


def host_answer_stats(
    *, now: datetime.datetime | None = None, host_ids: list[int] | None = None
) -> dict[int, AnswerStats]:
    """{host id: (requests that needed an answer, median minutes or None, % answered)} for
    the hosts with such requests in the window (only ``host_ids`` if given). One query."""
    now = now or timezone.now()
    events = BookingEvent.objects.filter(
        from_status=Booking.Status.REQUESTED,
        booking__created_at__gte=now - ANSWER_WINDOW,
    ).filter(
        Q(to_status=Booking.Status.EXPIRED)
        | Q(
            to_status__in=[Booking.Status.APPROVED, Booking.Status.DECLINED],
            actor_id=F("booking__listing__host_id"),
        )
    )
    if host_ids is not None:
        events = events.filter(booking__listing__host_id__in=host_ids)
    rows = events.values_list("booking__listing__host_id", "booking__created_at", "at", "to_status")
    answered: dict[int, list[float]] = {}
    expired: dict[int, int] = {}
    for host_id, asked_at, at, to_status in rows:
        if to_status == Booking.Status.EXPIRED:
            expired[host_id] = expired.get(host_id, 0) + 1
        else:
            answered.setdefault(host_id, []).append((at - asked_at).total_seconds() / 60)
    stats = {}
    for host_id in answered.keys() | expired.keys():
        times = answered.get(host_id, [])
        requests = len(times) + expired.get(host_id, 0)
        median = round(statistics.median(times)) if times else None
        stats[host_id] = (requests, median, round(100 * len(times) / requests))
    return stats


def host_answers_refresh(*, host_id: int | None = None) -> int:
    """Recompute and store the figures of ``host_id`` (None: every host, and hosts whose
    requests left the window go back to none). Returns how many listings changed."""
    if host_id is None:
        return host_answer_stats_set(stats=host_answer_stats(), reset_others=True)
    stats = host_answer_stats(host_ids=[host_id]) or {host_id: (0, None, 0)}
    return host_answer_stats_set(stats=stats)


@task
def host_answers_refresh_job(*, host_id: int) -> int:
    """The job a host's answer (or an expiry) queues: refresh that host's figures."""
    return host_answers_refresh(host_id=host_id)
