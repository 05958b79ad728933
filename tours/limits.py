"""How often a member may book or move tours. Each booking or move emails the host an
invitation: one budget per member for those POSTs (``settings.TOUR_CHANGE_RATE``), on the
site and in the host admin's move page; plenty to plan a week of viewings, too few to fill a
host's inbox by moving a tour back and forth. A cancellation is never held back (decision
0236)."""

from django.conf import settings

from accounts.throttle import rate_limited_response, seconds_to_wait

RATE_GROUP = "tours-change"


def over_rate(request):
    """Count a POST that books or moves a tour; over the budget, the 429 page that says when
    to try again, and the caller changes nothing. None while within it. Called once the
    space or tour is found: a forged id stays a 404."""
    wait = seconds_to_wait(request, group=RATE_GROUP, key="user", rate=settings.TOUR_CHANGE_RATE)
    if not wait:
        return None
    return rate_limited_response(request, wait, template="tours/rate_limited.html")
