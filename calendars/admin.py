"""The feed's place in /host/: a panel on the host's home page linking to its address."""

from django.urls import reverse

from accounts.admin_site import host_site


@host_site.add_index_panel
def calendar_panel(request):
    return {
        "title": "Your calendar",
        "items": [
            {
                "url": reverse("calendars:settings"),
                "text": "Bookings, notice dates and answer-by times in your own calendar app",
            }
        ],
        "link": reverse("calendars:settings"),
        "link_text": "Get your calendar address",
    }
