"""The feed's iCalendar text, kept in the cache: calendar apps poll every few minutes and a
poll that finds the feed cached costs no database query.

Keys: ``calendar:token:<sha256 of token>`` -> host id, ``calendar:gen:<host id>`` -> the
host's feed generation, ``calendar:ics:<host id>:<generation>:<sha256 of token>`` -> the
text. A change to what the feed shows (calendars.signals) sets a new generation after its
commit, so the next poll renders afresh. A render reads the generation *before* the database,
so a render racing a change is stored under the generation the change retired and never
served. Rotating the token also sets a new generation, and a render checks the token in the
database: an old URL gets nothing from the cache once its rotation has committed.
"""

import datetime
import hashlib
import re
import uuid

import icalendar
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from accounts.models import User

from .models import CalendarFeed
from .selectors import calendar_events

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")
PRODID = "-//PivotDesk//Host calendar//EN"
REFRESH = datetime.timedelta(minutes=15)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _generation_key(host_id: int) -> str:
    return f"calendar:gen:{host_id}"


def feed_generation(*, host_id: int) -> str | None:
    """The host's feed generation (made if missing); None when the cache is unreachable."""
    key = _generation_key(host_id)
    generation = cache.get(key)
    if generation is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        generation = cache.get(key)
    return generation


def feed_changed(*, host_id: int) -> None:
    """What ``host_id``'s feed shows changed: a new generation once the change commits (at
    once outside a transaction)."""
    transaction.on_commit(
        lambda: cache.set(_generation_key(host_id), uuid.uuid4().hex, timeout=None)
    )


def feed_render(*, host: User) -> bytes:
    """The host's events as an iCalendar document."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"PivotDesk: {host.display_name}")
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    # Polling hint for clients that honour it (Apple, Outlook): we change often.
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for item in calendar_events(host=host):
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.stamp)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.summary)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        calendar.add_component(event)
    return calendar.to_ical()


def feed_ics(*, token: str) -> bytes | None:
    """The feed a token opens, or None (malformed, unknown, or rotated away). A repeated
    poll is served from the cache with no database query."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    digest = _digest(token)
    token_key = f"calendar:token:{digest}"
    host_id = cache.get(token_key)
    if host_id is None:
        host_id = CalendarFeed.objects.filter(token=token).values_list("host_id", flat=True)
        host_id = host_id.first()
        if host_id is None:
            return None
        cache.set(token_key, host_id, settings.CALENDAR_FEED_CACHE_SECONDS)
    generation = feed_generation(host_id=host_id)
    ics_key = f"calendar:ics:{host_id}:{generation}:{digest}"
    if generation is not None:
        body = cache.get(ics_key)
        if body is not None:
            return body
    feed = CalendarFeed.objects.select_related("host").filter(token=token).first()
    if feed is None:
        cache.delete(token_key)
        return None
    body = feed_render(host=feed.host)
    if generation is not None:
        cache.set(ics_key, body, settings.CALENDAR_FEED_CACHE_SECONDS)
    return body
