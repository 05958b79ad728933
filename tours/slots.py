"""Tour slots in local time, each rule once. Pure functions: no queries.

A host's hours are wall-clock times in America/Denver. A slot is the aware datetime of one
30-minute start within them on one date. On the spring-forward day a wall time that does
not exist (02:30) is no slot; on the fall-back day a repeated wall time (01:30) is one slot,
its first occurrence — a guest reading "1:30 AM" cannot tell the two apart.
"""

import datetime
from collections.abc import Iterable

from django.utils import timezone

from .models import SLOT, TourHours

# Between two tours of one guest: time to get from one space to the next.
GAP_SAME_CITY = datetime.timedelta(minutes=30)
GAP_OTHER_CITY = datetime.timedelta(minutes=45)  # Boulder <-> Denver
HORIZON_DAYS = 120  # how far ahead a tour can be booked


def local_tz() -> datetime.tzinfo:
    return timezone.get_default_timezone()


def local_time(*, day: datetime.date, at: datetime.time) -> datetime.datetime | None:
    """``at`` on ``day`` in local time, or None when that wall time does not exist (the
    hour skipped when clocks spring forward). A repeated wall time is its first occurrence."""
    tz = local_tz()
    aware = datetime.datetime.combine(day, at, tzinfo=tz)  # fold=0: the first occurrence
    round_trip = aware.astimezone(datetime.UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != aware.replace(tzinfo=None):
        return None
    return aware


def day_slots(*, day: datetime.date, hours: Iterable[TourHours]) -> list[datetime.datetime]:
    """Every slot start on ``day`` within ``hours`` (any weekday's rows; others are skipped),
    in order, as aware datetimes in UTC: Python adds and subtracts two datetimes of one
    zone on the wall clock, so local ones would be an hour off across a change."""
    starts = []
    for row in hours:
        if row.weekday != day.weekday():
            continue
        wall = datetime.datetime.combine(day, row.starts)
        last = datetime.datetime.combine(day, row.ends) - SLOT
        while wall <= last:
            aware = local_time(day=day, at=wall.time())
            if aware is not None:
                starts.append(aware.astimezone(datetime.UTC))
            wall += SLOT
    return sorted(starts)


def gap_between(city_a: int, city_b: int) -> datetime.timedelta:
    """The least time between the end of one tour and the start of the next."""
    return GAP_SAME_CITY if city_a == city_b else GAP_OTHER_CITY


def apart(a_start: datetime.datetime, a_city: int, b_start: datetime.datetime, b_city: int) -> bool:
    """Whether two tours (each one slot long) leave the travel gap between them."""
    gap = gap_between(a_city, b_city)
    a_start, b_start = a_start.astimezone(datetime.UTC), b_start.astimezone(datetime.UTC)
    return b_start >= a_start + SLOT + gap or a_start >= b_start + SLOT + gap


def local_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(local_tz()).date()
