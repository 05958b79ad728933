"""The demo's waitlist: one of the demo host's spaces is full, and the demo guest waits in
its line, so /account/waitlist/ and the host's /host/ show one."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings import services as booking_services
from bookings.emails import booking_emails_muted
from bookings.selectors import desks_free
from listings.models import Listing
from waitlist.models import WaitlistEntry
from waitlist.services import waitlist_join


def seed_waitlist(*, guest: User, hosts: list[User]) -> str:
    """Fill one space of the demo host (booked whole by another host, instant book off) and
    put the demo guest in its line. Only when the guest waits nowhere; all or nothing.
    Returns what it did, for the command's output."""
    if WaitlistEntry.objects.filter(guest=guest).exists():
        return ""
    host, other = hosts[0], hosts[1]
    taken = set(guest.bookings.values_list("listing_id", flat=True))
    listing = (
        Listing.objects.published()
        .filter(host=host, instant_book=False)
        .exclude(pk__in=taken)
        .order_by("desks", "pk")
        .first()
    )
    if listing is None:
        return ""
    today = timezone.localdate()
    start = max(today + timedelta(days=10), listing.available_from)
    months = max(listing.min_term_months, 6)
    try:
        with transaction.atomic(), booking_emails_muted():
            free = desks_free(listing=listing, start=start, months=months)
            if free:
                full = booking_services.booking_request(
                    guest=other, listing=listing, desks=free, start=start, months=months
                )
                booking_services.booking_approve(booking=full, host=host)
            waitlist_join(
                guest=guest,
                listing=listing,
                desks=listing.desks if listing.is_let_whole else 1,
                start=start + timedelta(days=7),
                months=listing.min_term_months,
            )
    except ValidationError as exc:
        return f"demo waitlist skipped: {' '.join(exc.messages)}"
    return f"demo waitlist: {guest.email} waits for {listing.title}"
