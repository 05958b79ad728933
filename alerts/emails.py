"""The alert email, sent by the worker once per alert (jobs.services.email_send_once).

It carries a one-click unsubscribe: a signed link in the text, and the List-Unsubscribe and
List-Unsubscribe-Post headers (RFC 8058), so a mail client's own button turns the alert off
with one POST and no login.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse

from jobs.services import email_send_once
from pivotdesk.emails import header_text

from .links import unsubscribe_url
from .models import Alert, SavedSearch
from .selectors import alert_listings


def alert_email_render(alert: Alert) -> EmailMultiAlternatives | None:
    """The email for ``alert``; None when its search was deleted or turned off since, or no
    listing it found is still published."""
    saved = alert.saved_search
    if saved.frequency == SavedSearch.Frequency.OFF:
        return None
    listings = alert_listings(alert=alert)
    if not listings:
        return None
    unsubscribe = unsubscribe_url(saved_search=saved)
    context = {
        "saved_search": saved,
        "user": saved.user,
        "listings": listings,
        "site_url": settings.SITE_URL,
        "search_url": settings.SITE_URL + saved.search_url,
        "manage_url": settings.SITE_URL + reverse("alerts:list"),
        "unsubscribe_url": unsubscribe,
    }
    count = len(listings)
    subject = f"{count} new space{pluralize(count)} for “{saved.name}”"
    message = EmailMultiAlternatives(
        subject=header_text(subject),
        body=render_to_string("alerts/email/alert.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[saved.user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("alerts/email/alert.html", context), "text/html")
    return message


@task
def alert_email_send(*, alert_id: int) -> bool:
    """The job: send one alert email unless it was sent; return whether it went now. A mail
    server that refuses or hangs raises, and the job is retried (the alert waits, never lost)."""
    alert = (
        Alert.objects.select_related("saved_search", "saved_search__user")
        .filter(pk=alert_id)
        .first()
    )
    if alert is None:
        return False
    message = alert_email_render(alert)
    if message is None:
        return False
    return email_send_once(key=f"alert:{alert.pk}", message=message)
