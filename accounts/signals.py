"""What accounts tells the apps built on it, so it never imports them (accounts is the bottom
app: listings, teams, bookings, waitlist and alerts build on it).

- ``account_closing`` (``user``): "may this member close their account?". Each receiver
  returns a list of sentences for the member, one per thing that must end first (an empty
  list when its app has none). It reads only: ``accounts.selectors.account_close_blockers``
  asks it for the close page, and ``accounts.services.user_close`` again under the user's
  row lock.
- ``account_closed`` (``user``): sent inside ``user_close``'s transaction once the rules
  passed, before the personal data is scrubbed. Each receiver lets go of what its app holds
  for the member, through its own services (archive listings, delete saved searches, leave
  waitlists and teams, forget the card on file and queue its deletion at Stripe). It may
  only write rows in that transaction (enqueue a job for anything remote), and it must be
  idempotent. Lock order: the user, then what the receivers lock (listings, then their
  rows).
"""

from django.dispatch import Signal

account_closing = Signal()
account_closed = Signal()
