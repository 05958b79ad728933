"""Cache invalidation only: free desks on public pages count approved bookings, so an approval
or a cancellation says so; a request, a decline or an expiry changes no public page."""

from django.db.models.signals import post_delete, post_save

from pivotdesk.pagecache import public_content_changed

from .models import Booking

PUBLIC_STATUSES = frozenset({Booking.Status.APPROVED, Booking.Status.CANCELLED})


def booking_changed(sender, instance, raw=False, using=None, **kwargs):
    if not raw and instance.status in PUBLIC_STATUSES:
        public_content_changed(using=using, instance=instance)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(booking_changed, sender=Booking, dispatch_uid=f"pc-booking-{signal}")
