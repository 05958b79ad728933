"""What bookings tells the apps built on it (payments), so it never imports them.

``booking_approved`` is sent inside the approving transaction (a host's approval or instant
book), with ``booking``. Receivers may only write rows in that transaction (e.g. enqueue a
job): a remote call there would hold the listing's lock. Anything that reaches another
service runs in the job, after the approval commits (docs/decisions/0061).
"""

from django.dispatch import Signal

booking_approved = Signal()
