import datetime

from django.utils import timezone

from tours.slots import local_time


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """An aware Denver wall time (the first one, on a fall-back day)."""
    moment = local_time(day=day, at=datetime.time(hour, minute))
    assert moment is not None, "no such wall time"
    return moment


def days_ahead(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def move_in() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=30)
