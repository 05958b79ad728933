"""Bookings' signals.

Cache invalidation: free desks on public pages count approved bookings, so an approval or a
cancellation says so; a request, a decline or an expiry changes no public page.

What bookings tells the apps built on it (payments), so it never imports them:

- ``booking_approved``: sent inside the approving transaction (a host's approval or
  instant book), with ``booking``.
- ``booking_cancelled_before_start``: sent inside the transaction in which the guest
  cancels an approved booking before its first day (nothing is owed then), with ``booking``;
  also when an operator cancels one (``booking_end_by_operator``).
- ``booking_ended_by_operator``: sent inside the transaction in which an operator brings a
  running booking's end forward (``booking.end`` is the new first free day), with
  ``booking``, ``event`` (the BookingEvent) and ``refund`` (Decimal dollars of paid rent to
  give back, 0 for none).
- ``booking_refundable``: "how much of this running booking's paid rent may an operator
  give back?". Each receiver returns Decimal dollars, or None when its app refunds nothing
  (payments without Stripe keys). Read only: the operator's form asks it, and
  ``booking_end_by_operator`` again under the booking's lock.

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
booking_ended_by_operator = Signal()
booking_refundable = Signal()

PUBLIC_STATUSES = frozenset({Booking.Status.APPROVED, Booking.Status.CANCELLED})


def booking_changed(sender, instance, raw=False, using=None, **kwargs):
    if not raw and instance.status in PUBLIC_STATUSES:
        public_content_changed(using=using, instance=instance)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(booking_changed, sender=Booking, dispatch_uid=f"pc-booking-{signal}")
