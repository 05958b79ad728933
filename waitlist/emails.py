"""The waitlist's emails, sent by the worker: the offer, and the word that an offer lapsed.

Each is queued in the transaction that makes the offer or lapses it (a job row: no offer or
lapse without its email, no email for one rolled back) and sent once however often its job
runs. The offer's 24 hours start when it has gone out: a mail outage delays an offer, it
never shortens or loses it."""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from bookings.models import Hold
from bookings.services import hold_clock_start
from jobs.services import email_send_once
from pivotdesk.emails import header_text

from .models import OFFER_HOLD, WaitlistEntry


def offer_url(entry: WaitlistEntry) -> str:
    """The one link of the offer email (absolute)."""
    path = reverse(
        "waitlist:offer",
        kwargs={"city": entry.listing.city.slug, "slug": entry.listing.slug, "token": entry.token},
    )
    return f"{settings.SITE_URL}{path}"


def _message(*, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    """To the entry's guest: ``template``.txt, with ``template``.html as the alternative."""
    message = EmailMultiAlternatives(
        subject=header_text(subject),
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[context["guest"].email],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def offer_email_render(entry: WaitlistEntry) -> EmailMultiAlternatives:
    listing, hold = entry.listing, entry.hold
    context = {
        "entry": entry,
        "listing": listing,
        "hold": hold,
        "guest": entry.guest,
        "last_day": hold.end - datetime.timedelta(days=1),
        "until": timezone.localtime(timezone.now() + OFFER_HOLD),
        "hours": int(OFFER_HOLD.total_seconds() // 3600),
        "url": offer_url(entry),
        "waitlist_url": f"{settings.SITE_URL}{reverse('waitlist:mine')}",
    }
    subject = f"Desks free for you at {listing.title}: yours to take for 24 hours"
    return _message(subject=subject, template="waitlist/email/offer", context=context)


@task
def offer_email_send(*, entry_id: int, hold_id: int) -> bool:
    """The job: email the offer unless it went already, then start the hold's clock (once).
    Nothing is sent for an offer no longer open (the guest left the line meanwhile). A mail
    server that refuses or hangs raises, and the job is retried; the clock waits for it."""
    entry = (
        WaitlistEntry.objects.select_related("listing", "listing__city", "guest", "hold")
        .filter(pk=entry_id, hold_id=hold_id, status=WaitlistEntry.Status.OFFERED)
        .first()
    )
    if entry is None or entry.hold.status != Hold.Status.HELD:
        return False
    sent = email_send_once(
        key=f"waitlist:{entry_id}:offer:hold:{hold_id}", message=offer_email_render(entry)
    )
    # Also when it went on an earlier run that died before this line: the clock starts once.
    hold_clock_start(hold=entry.hold, expires_at=timezone.now() + OFFER_HOLD)
    return sent


def offer_email_enqueue(*, entry: WaitlistEntry) -> None:
    """Queue the offer email; call inside the transaction that made the offer."""
    offer_email_send.enqueue(entry_id=entry.pk, hold_id=entry.hold_id)


def rejoin_url(entry: WaitlistEntry) -> str:
    """The listing's join form (absolute), prefilled with what the lapsed offer was for."""
    path = reverse(
        "waitlist:join", kwargs={"city": entry.listing.city.slug, "slug": entry.listing.slug}
    )
    query = urlencode({"desks": entry.desks, "move_in": entry.hold.start.isoformat()})
    return f"{settings.SITE_URL}{path}?{query}"


def lapse_email_render(entry: WaitlistEntry) -> EmailMultiAlternatives:
    listing, hold = entry.listing, entry.hold
    context = {
        "entry": entry,
        "listing": listing,
        "hold": hold,
        "guest": entry.guest,
        "hours": int(OFFER_HOLD.total_seconds() // 3600),
        # The join form and the listing's page exist only while the space is listed.
        "listed": listing.is_published,
        "rejoin_url": rejoin_url(entry),
        "listing_url": f"{settings.SITE_URL}{listing.get_absolute_url()}",
        "waitlist_url": f"{settings.SITE_URL}{reverse('waitlist:mine')}",
    }
    subject = f"Your offer at {listing.title} has lapsed"
    return _message(subject=subject, template="waitlist/email/lapsed", context=context)


@task
def lapse_email_send(*, entry_id: int, hold_id: int) -> bool:
    """The job: tell the guest their offer lapsed, unless that went already."""
    entry = (
        WaitlistEntry.objects.select_related("listing", "listing__city", "guest", "hold")
        .filter(pk=entry_id, hold_id=hold_id, status=WaitlistEntry.Status.LAPSED)
        .first()
    )
    if entry is None:
        return False
    return email_send_once(
        key=f"waitlist:{entry_id}:lapsed:hold:{hold_id}", message=lapse_email_render(entry)
    )


def lapse_email_enqueue(*, entry: WaitlistEntry) -> None:
    """Queue the lapse email; call inside the transaction that lapsed the offer."""
    lapse_email_send.enqueue(entry_id=entry.pk, hold_id=entry.hold_id)
