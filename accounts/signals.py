"""What accounts tells the apps built on it, so it never imports them (accounts is the bottom
app: listings, teams, bookings, waitlist and alerts build on it).

- ``account_closing`` (``user``): "may this member close their account?". Each receiver
  returns a list of sentences for the member, one per thing that must end first (an empty
  list when its app has none). It reads only: ``accounts.selectors.account_close_blockers``
  asks it for the close page, and ``accounts.services.user_close`` again under the user's
  row lock.
- ``account_close_listings`` (``user``): "which listings will your ``account_closed``
  receiver lock?". Each receiver returns the ids (a selector: it reads only), and must
  return every listing its receiver locks. Sent by ``user_close`` under the user's lock,
  just before ``account_closed``.
- ``account_close_lock`` (``user``, ``listing_ids``): "lock these listings, in this
  order": the ids above, ascending. Answered by listings alone (``listing_lock``), so
  the close holds every listing it will touch before any receiver locks a team or a row
  (docs/decisions/0175); the receivers' own ``listing_lock`` calls then find them held.
- ``account_closed`` (``user``): sent inside ``user_close``'s transaction once the rules
  passed, before the personal data is scrubbed. Each receiver lets go of what its app holds
  for the member, through its own services (archive listings, delete saved searches, leave
  waitlists and teams, forget the card on file and queue its deletion at Stripe). It may
  only write rows in that transaction (enqueue a job for anything remote), and it must be
  idempotent. Lock order (docs/decisions/0155): the user, then the listings locked above,
  then what the receivers lock (a team, rows). A receiver that locks a listing not named
  by its app's ``account_close_listings`` answer breaks that order.
"""

from django.dispatch import Signal

account_closing = Signal()
account_close_listings = Signal()
account_close_lock = Signal()
account_closed = Signal()
