"""Feed cache invalidation (only that): a saved or deleted booking or listing retires its
host's cached feed (calendars.feed). update() sends no signal: bookings.services changes a
booking's status and dates with save()."""

from django.db.models.signals import post_delete, post_save

from .feed import feed_changed

# Models whose rows a feed source reads, and how to find their host.
SENDERS = {
    "bookings.Booking": lambda booking: booking.listing.host_id,
    "listings.Listing": lambda listing: listing.host_id,
}


def _receiver(host_of):
    def changed(sender, instance, raw=False, **kwargs):
        if not raw:
            feed_changed(host_id=host_of(instance))

    return changed


def connect() -> None:
    for label, host_of in SENDERS.items():
        receiver = _receiver(host_of)
        post_save.connect(receiver, sender=label, weak=False, dispatch_uid=f"cal-{label}-save")
        post_delete.connect(receiver, sender=label, weak=False, dispatch_uid=f"cal-{label}-del")
