from django import template

from bookings import selectors

register = template.Library()


@register.simple_tag
def waiting_for_answer(user) -> int:
    """How many requests wait for ``user``'s answer as a host: one COUNT query; 0 for anyone
    who is not a host (no query)."""
    if not getattr(user, "is_host", False):
        return 0
    return selectors.pending_requests_for_host(host=user).count()


@register.filter
def history_actor(event, booking) -> str:
    """``BookingEvent.actor_shown``: who a booking page's history names for ``event``."""
    return event.actor_shown(booking)
