from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.admin_site import host_site

from .feed import feed_ics
from .services import calendar_feed_get_or_create, calendar_feed_rotate

# The address is a secret: no shared cache keeps it (a rotation could not purge one).
FEED_CACHE_CONTROL = "private, max-age=300"


@require_safe
def feed(request, token: str):
    """The host's iCalendar feed at its secret address; anything else is a 404."""
    body = feed_ics(token=token)
    if body is None:
        raise Http404("No calendar here.")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="pivotdesk.ics"'
    response["Cache-Control"] = FEED_CACHE_CONTROL
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _settings(request):
    feed = calendar_feed_get_or_create(host=request.user)
    context = {
        **host_site.each_context(request),
        "title": "Your calendar feed",
        "feed_url": settings.SITE_URL + feed.get_absolute_url(),  # never the request's Host
        "feed": feed,
    }
    return render(request, "calendars/calendar_settings.html", context)


@require_POST
def _rotate(request):
    calendar_feed_rotate(host=request.user)
    messages.success(request, "Your calendar has a new address. The old one no longer works.")
    return redirect("calendars:settings")


# In /host/: a host's own login, permission check, CSRF and never-cache, as the admin's pages.
calendar_settings = host_site.admin_view(_settings)
calendar_rotate = host_site.admin_view(_rotate)
