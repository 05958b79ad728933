"""Bookings' signals.

Cache invalidation: free desks on public pages count approved bookings, so an approval or a
cancellation says so; a request, a decline or an expiry changes no public page.

What bookings tells the apps built on it (payments), so it never imports them:

- ``booking_approved``: sent inside the approving transaction (a host's approval or
  instant book), with ``booking``.
- ``booking_cancelled_before_start``: sent inside the transaction in which the guest
  cancels an approved booking before its first day (nothing is owed then), with ``booking``.

Receivers may only write rows in that transaction (e.g. enqueue a job): a remote call there
would hold the listing's lock. Anything that reaches another service runs in the job, after
the commit (docs/decisions/0061).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from pivotdesk.pagecache import public_content_changed

from .models import Booking

booking_approved = Signal()
booking_cancelled_before_start = Signal()

PUBLIC_STATUSES = frozenset({Booking.Status.APPROVED, Booking.Status.CANCELLED})


def booking_changed(sender, instance, raw=False, using=None, **kwargs):
    if not raw and instance.status in PUBLIC_STATUSES:
        public_content_changed(using=using, instance=instance)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(booking_changed, sender=Booking, dispatch_uid=f"pc-booking-{signal}")
