"""What bookings tells the apps built on it (payments), so it never imports them.

- ``booking_approved``: sent inside the approving transaction (a host's approval or
  instant book), with ``booking``.
- ``booking_cancelled_before_start``: sent inside the transaction in which the guest
  cancels an approved booking before its first day (nothing is owed then), with ``booking``.

Receivers may only write rows in that transaction (e.g. enqueue a job): a remote call there
would hold the listing's lock. Anything that reaches another service runs in the job, after
the commit (docs/decisions/0061).
"""

from django.dispatch import Signal

booking_approved = Signal()
booking_cancelled_before_start = Signal()
