"""The listing page's tour section (templates/tours/includes/listing_tours.html).

Anonymous pages are cached and shared: for them the section shows the tour hours only (one
query). A logged-in guest also gets their own tours of this space and the free slots of the
coming week (four more queries, whatever the number of tours or slots)."""

import datetime

from django import template
from django.utils import timezone

from ..forms import TourForm
from ..selectors import (
    guest_tours_on,
    hours_of,
    request_prefill_url,
    slot_choices,
    tour_upcoming_days,
)

register = template.Library()
DAYS_ON_LISTING = 7


@register.inclusion_tag("tours/includes/listing_tours_section.html", takes_context=True)
def listing_tours(context, listing):
    hours = hours_of(listing=listing)
    shown = {"listing": listing, "hours": hours, "csrf_token": context.get("csrf_token")}
    request = context.get("request")
    user = getattr(request, "user", None)
    if not hours or user is None or not user.is_authenticated or not listing.is_published:
        return shown
    if user.pk == listing.host_id:
        return {**shown, "is_host": True}
    now = timezone.now()
    mine = guest_tours_on(guest=user, listing=listing)
    upcoming = [t for t in mine if t.starts_at > now]
    past = mine[0] if mine and mine[0].starts_at <= now else None
    days = tour_upcoming_days(listing=listing, now=now, days=DAYS_ON_LISTING)
    return {
        **shown,
        "guest": True,
        "upcoming": upcoming,
        "past": past,
        "request_url": request_prefill_url(tour=past) if past else "",
        "days": slot_choices(days),
        "form": TourForm(listing=listing),
        "more_from": (timezone.localdate() + datetime.timedelta(days=DAYS_ON_LISTING)).isoformat(),
    }
