"""Signals listings and bookings send for apps built on top of them.

``desks_freed`` (``listing_id``): something may have left desks free on a listing that were
not free before — a booking cancelled or cut short by notice, a request declined or expired,
a waitlist offer declined or lapsed, the host adding desks or opening the space earlier.
It is sent inside the writer's transaction, after the write; a receiver must do no more than
queue a job (a job row commits or rolls back with the write), never mail or count desks.
"""

from django.dispatch import Signal

desks_freed = Signal()
