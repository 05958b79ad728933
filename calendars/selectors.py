"""What a host's calendar feed shows, gathered from every source of dated events.

Each source is a function ``(host, today) -> Iterable[CalendarEvent]`` in ``FEED_SOURCES``,
running a constant number of queries; a new kind of event is one more function there. The
feed's cache (calendars.feed) is invalidated by calendars.signals when the rows a source
reads change: a new source adds its models to ``signals.SENDERS``.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from pivotdesk.emails import site_domain
from tours.models import Tour

# Bookings that ended longer ago than this are left out: a calendar keeps its own history.
PAST_DAYS = 365
REQUEST_DEADLINE_MINUTES = 15


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT. ``start``/``end`` are dates (all-day; ``end`` exclusive, as in iCalendar)
    or aware datetimes. ``stamp`` is when its source last changed (DTSTAMP)."""

    uid: str
    summary: str
    start: datetime.date | datetime.datetime
    end: datetime.date | datetime.datetime
    stamp: datetime.datetime
    description: str = ""
    url: str = ""


def _host_bookings(host: User, today: datetime.date) -> list[Booking]:
    return list(
        Booking.objects.filter(
            listing__host=host,
            status__in=[Booking.Status.APPROVED, Booking.Status.REQUESTED],
            end__gte=today - datetime.timedelta(days=PAST_DAYS),
        )
        .select_related("listing", "guest")
        .order_by("start", "pk")
    )


def _who(guest: User) -> str:
    return f"{guest.display_name} ({guest.company})" if guest.company else guest.display_name


def _desks(booking: Booking) -> str:
    return f"{booking.desks} desk{pluralize(booking.desks)}"


def booking_events(host: User, today: datetime.date) -> Iterable[CalendarEvent]:
    """Each approved booking as an all-day span from its start to its end (after a notice,
    the new end), and the day its guest gave notice (or PivotDesk ended it). Pending
    requests' answer-by times. One query."""
    domain = site_domain()
    for booking in _host_bookings(host, today):
        url = settings.SITE_URL + booking.get_absolute_url()
        who = _who(booking.guest)
        title = booking.listing.title
        if booking.is_approved:
            yield CalendarEvent(
                uid=f"booking-{booking.pk}@{domain}",
                summary=f"{_desks(booking)}: {who} at {title}",
                start=booking.start,
                end=booking.end,
                stamp=booking.updated_at,
                description=f"Booking #{booking.pk}, {booking.start:%B %-d, %Y} until "
                f"{booking.end:%B %-d, %Y} (the desks are free that day).",
                url=url,
            )
            if booking.notice_given_at is not None:
                day = timezone.localdate(booking.notice_given_at)
                # One event under one uid: an operator's end replaces the guest's notice.
                what = "Ended by PivotDesk" if booking.ended_by_operator_at else "Notice given"
                yield CalendarEvent(
                    uid=f"booking-{booking.pk}-notice@{domain}",
                    summary=f"{what}: {who} leaves {title} on {booking.end:%B %-d}",
                    start=day,
                    end=day + datetime.timedelta(days=1),
                    stamp=booking.updated_at,
                    description=f"Booking #{booking.pk} now ends {booking.end:%B %-d, %Y}.",
                    url=url,
                )
        else:
            answer_by = booking.answer_by
            yield CalendarEvent(
                uid=f"request-{booking.pk}-answer-by@{domain}",
                summary=f"Answer by: {who} asks for {_desks(booking)} at {title}",
                start=answer_by - datetime.timedelta(minutes=REQUEST_DEADLINE_MINUTES),
                end=answer_by,
                stamp=booking.updated_at,
                description=f"Request #{booking.pk} from {booking.start:%B %-d, %Y} for "
                f"{booking.months} month{pluralize(booking.months)} expires unanswered then.",
                url=url,
            )


def tour_events(host: User, today: datetime.date) -> Iterable[CalendarEvent]:
    """Each booked tour of the host's spaces, at its time. One query. (Its UID is not the
    invitation's: the feed is a calendar of its own beside the one the invitation went to.)"""
    domain = site_domain()
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=PAST_DAYS), datetime.time.min)
    )
    tours = (
        Tour.objects.booked()
        .filter(listing__host=host, ends_at__gte=since)
        .select_related("listing", "listing__city", "guest")
        .order_by("starts_at", "pk")
    )
    for tour in tours:
        yield CalendarEvent(
            uid=f"tour-{tour.pk}-feed@{domain}",
            summary=f"Tour: {_who(tour.guest)} at {tour.listing.title}",
            start=tour.starts_at,
            end=tour.ends_at,
            stamp=tour.updated_at,
            description=f"Looking for {tour.desks} desk{pluralize(tour.desks)} from "
            f"{tour.move_in:%B %-d, %Y}.",
            url=settings.SITE_URL + tour.get_absolute_url(),
        )


FEED_SOURCES: list[Callable[[User, datetime.date], Iterable[CalendarEvent]]] = [
    booking_events,
    tour_events,
]


def calendar_events(*, host: User, today: datetime.date | None = None) -> list[CalendarEvent]:
    """Every event of ``host``'s feed from every source, by start."""
    today = today or timezone.localdate()
    events = [event for source in FEED_SOURCES for event in source(host, today)]
    return sorted(events, key=lambda e: (_sort_key(e.start), e.uid))


def _sort_key(value: datetime.date | datetime.datetime) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    return timezone.make_aware(datetime.datetime.combine(value, datetime.time.min))
