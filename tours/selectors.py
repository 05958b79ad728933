"""Reads for tours: schedules (hours, days off, taken slots) and a person's tours.

A ``Schedule`` is read in three queries for any number of listings and days, so the listing
page, the planner and the services each ask a constant number of questions.
"""

import datetime
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from listings.models import Listing

from .models import Tour, TourDayOff, TourHours
from .slots import apart, day_slots, local_day, local_tz

PLANS_SHOWN = 6


@dataclass
class Schedule:
    """Tour hours, days off and booked slots of some listings over some days."""

    hours: dict[int, list[TourHours]]
    days_off: set[tuple[int, datetime.date]]
    taken: set[tuple[int, datetime.datetime]] = field(default_factory=set)

    def slots(self, listing_id: int, day: datetime.date) -> list[datetime.datetime]:
        """Every slot of the listing's hours on ``day``, taken or not (none on a day off)."""
        if (listing_id, day) in self.days_off:
            return []
        return day_slots(day=day, hours=self.hours.get(listing_id, []))

    def free(
        self, listing_id: int, day: datetime.date, *, now: datetime.datetime
    ) -> list[datetime.datetime]:
        """The slots on ``day`` that start after ``now`` and nobody has booked."""
        return [
            s
            for s in self.slots(listing_id, day)
            if s > now and (listing_id, s.astimezone(datetime.UTC)) not in self.taken
        ]


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC)


def tour_schedule(
    *,
    listing_ids: Iterable[int],
    first_day: datetime.date,
    last_day: datetime.date,
    exclude_tour_id: int | None = None,
) -> Schedule:
    """Hours, days off and booked slots of ``listing_ids`` from ``first_day`` to
    ``last_day`` (local dates, inclusive). Three queries."""
    ids = list(listing_ids)
    tz = local_tz()
    hours: dict[int, list[TourHours]] = {}
    for row in TourHours.objects.filter(listing_id__in=ids):
        hours.setdefault(row.listing_id, []).append(row)
    days_off = set(
        TourDayOff.objects.filter(
            listing_id__in=ids, day__gte=first_day, day__lte=last_day
        ).values_list("listing_id", "day")
    )
    lo = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=tz)
    hi = datetime.datetime.combine(
        last_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    booked = Tour.objects.booked().filter(listing_id__in=ids, starts_at__gte=lo, starts_at__lt=hi)
    if exclude_tour_id is not None:
        booked = booked.exclude(pk=exclude_tour_id)
    taken = {(lid, _utc(at)) for lid, at in booked.values_list("listing_id", "starts_at")}
    return Schedule(hours=hours, days_off=days_off, taken=taken)


def hours_of(*, listing: Listing) -> list[TourHours]:
    """The listing's tour hours, Monday first: what its public page shows."""
    return list(TourHours.objects.filter(listing=listing))


def tour_upcoming_days(
    *,
    listing: Listing,
    start: datetime.date | None = None,
    now: datetime.datetime | None = None,
    days: int = 14,
    exclude_tour_id: int | None = None,
) -> list[tuple[datetime.date, list[datetime.datetime]]]:
    """The days from ``start`` (today) for ``days`` days that have free slots, each with
    them (three queries). ``exclude_tour_id``: a tour being moved frees its own slot."""
    now = now or timezone.now()
    first = max(start or local_day(now), local_day(now))
    last = first + datetime.timedelta(days=days - 1)
    schedule = tour_schedule(
        listing_ids=[listing.pk], first_day=first, last_day=last, exclude_tour_id=exclude_tour_id
    )
    out = []
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        free = schedule.free(listing.pk, day, now=now)
        if free:
            out.append((day, free))
    return out


def slot_choices(days):
    """``tour_upcoming_days`` as form values and labels: [(day, [(value, "10:30 AM")])]."""
    return [
        (day, [(s.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), s) for s in slots])
        for day, slots in days
    ]


def request_prefill_url(*, tour: Tour) -> str:
    """The listing's request form, pre-filled with what the guest said when booking the
    tour (bookings.forms.BookingForm reads ?desks= and ?move_in=). Needs the listing's city."""
    query = urlencode({"desks": tour.desks, "move_in": tour.move_in.isoformat()})
    listing = tour.listing
    path = reverse("bookings:create", kwargs={"city": listing.city.slug, "slug": listing.slug})
    return f"{path}?{query}"


def tourable_listings(*, exclude_host: User, first: Listing, limit: int = 60) -> QuerySet[Listing]:
    """Published listings with tour hours (not ``exclude_host``'s own), ``first`` among them
    when it has hours: the planner's choices, at most ``limit``, by city and title."""
    hosted = TourHours.objects.values("listing_id")
    with_hours = Listing.objects.published().filter(pk__in=hosted).exclude(host=exclude_host)
    ids = list(with_hours.order_by("city__name", "title").values_list("pk", flat=True)[:limit])
    if first.host_id != exclude_host.pk and first.pk not in ids:
        ids.append(first.pk)
    return with_hours.filter(pk__in=ids).select_related("city").order_by("city__name", "title")


def tours_of_guest(*, guest: User) -> QuerySet[Tour]:
    return Tour.objects.filter(guest=guest).select_related("listing", "listing__city")


def tours_for_party(*, user: User) -> QuerySet[Tour]:
    """The tours ``user`` may see and change: as the guest, or as the listing's host."""
    return Tour.objects.filter(Q(guest=user) | Q(listing__host=user)).select_related(
        "listing", "listing__city", "listing__host", "guest"
    )


def guest_tours_on(*, guest: User, listing: Listing) -> list[Tour]:
    """The guest's booked tours of ``listing`` (upcoming and past), newest first."""
    return list(
        Tour.objects.booked()
        .filter(guest=guest, listing=listing)
        .select_related("listing", "listing__city")
        .order_by("-starts_at")
    )


@dataclass(frozen=True)
class Leg:
    listing: Listing
    starts_at: datetime.datetime


def afternoon_plans(
    *,
    listings: Sequence[Listing],
    day: datetime.date,
    now: datetime.datetime | None = None,
    busy: Sequence[tuple[datetime.datetime, int]] = (),
    limit: int = PLANS_SHOWN,
) -> list[tuple[Leg, ...]]:
    """Ways to see every one of ``listings`` on ``day``: one free slot each, in some order,
    with the travel gap between consecutive tours (and from ``busy``: the guest's other
    tours that day, as (start, city id)). Earliest start first, then shortest; at most
    ``limit``. Three queries."""
    now = now or timezone.now()
    schedule = tour_schedule(listing_ids=[x.pk for x in listings], first_day=day, last_day=day)
    free = {x.pk: schedule.free(x.pk, day, now=now) for x in listings}
    found: dict[tuple, tuple[Leg, ...]] = {}
    for order in itertools.permutations(listings):
        for first in free[order[0].pk]:
            legs = [Leg(order[0], first)]
            if not _clear(first, order[0].city_id, busy):
                continue
            for listing in order[1:]:
                prev = legs[-1]
                nxt = next(
                    (
                        s
                        for s in free[listing.pk]
                        if s > prev.starts_at
                        and apart(prev.starts_at, prev.listing.city_id, s, listing.city_id)
                        and _clear(s, listing.city_id, busy)
                    ),
                    None,
                )
                if nxt is None:
                    break
                legs.append(Leg(listing, nxt))
            if len(legs) == len(order):
                key = tuple((leg.listing.pk, leg.starts_at) for leg in legs)
                found.setdefault(key, tuple(legs))
    plans = sorted(found.values(), key=lambda p: (p[0].starts_at, p[-1].starts_at - p[0].starts_at))
    # Different starting times first: six plans that all start at 1:00 say little.
    by_start: dict[datetime.datetime, tuple[Leg, ...]] = {}
    for plan in plans:
        by_start.setdefault(plan[0].starts_at, plan)
    chosen = list(by_start.values())[:limit]
    chosen += [p for p in plans if p not in chosen][: limit - len(chosen)]
    return sorted(chosen, key=lambda p: (p[0].starts_at, p[-1].starts_at - p[0].starts_at))


def _clear(start: datetime.datetime, city_id: int, busy) -> bool:
    return all(apart(start, city_id, other, other_city) for other, other_city in busy)


def guest_busy(
    *, guest: User, day: datetime.date, exclude_tour_id: int | None = None
) -> list[tuple[datetime.datetime, int]]:
    """The guest's booked tours on local ``day`` as (start, city id)."""
    tz = local_tz()
    lo = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    hi = lo + datetime.timedelta(days=1, hours=2)  # a fall-back day is 25 hours long
    rows = (
        Tour.objects.booked()
        .filter(guest=guest, starts_at__gte=lo, starts_at__lt=hi)
        .exclude(pk=exclude_tour_id)
        .values_list("starts_at", "listing__city_id")
    )
    return [(at, city) for at, city in rows if local_day(at) == day]


def tour_time_text(moment: datetime.datetime) -> str:
    """A tour's time as messages say it, in local time: "Tue Mar 3 at 2:30 PM"."""
    local = timezone.localtime(moment)
    return f"{local:%a %b} {local.day} at {local:%-I:%M %p}"


ACCOUNT_CLOSE_GUEST_TOUR = "You have a tour of {title} on {when}: cancel it first."
ACCOUNT_CLOSE_HOST_TOUR = "Your space {title} has a tour booked on {when}: cancel it first."


def account_close_blockers(sender, *, user: User, **kwargs) -> list[str]:
    """Receiver of ``accounts.signals.account_closing``: tours still to come, booked by
    ``user`` or at their spaces. One query."""
    reasons = []
    for tour in (
        Tour.objects.upcoming(timezone.now())
        .filter(Q(guest_id=user.pk) | Q(listing__host_id=user.pk))
        .select_related("listing")
        .order_by("starts_at", "pk")
    ):
        when = tour_time_text(tour.starts_at)
        message = ACCOUNT_CLOSE_GUEST_TOUR if tour.guest_id == user.pk else ACCOUNT_CLOSE_HOST_TOUR
        reasons.append(message.format(title=tour.listing.title, when=when))
    return reasons
