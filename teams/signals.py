"""What teams asks the apps built on it, so it never imports them (bookings builds on teams).

- ``team_closing`` (``team``, ``today``): "may this team close?". Each receiver returns a list
  of short phrases, one per thing of its app that must end first (an empty list when none):
  bookings answers with the team's requests waiting for an answer and bookings not ended.
"""

from django.dispatch import Signal

team_closing = Signal()
