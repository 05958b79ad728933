"""Tour emails with a calendar invitation (.ics), sent by the worker.

Services call ``tour_emails_enqueue`` inside their transaction (one job per recipient, a
row of that transaction, as bookings.emails does). Each email is keyed on the tour, its
kind, its recipient and the invitation's SEQUENCE, so a retried job sends once; a job whose
tour has moved on since (a later SEQUENCE) sends nothing: the later email carries the
current invitation.
"""

import datetime
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from jobs.services import email_send_once
from pivotdesk.emails import header_text, site_domain

from .models import Tour
from .selectors import request_prefill_url


class TourEmailKind(models.TextChoices):
    """templates/tours/email/<kind>.txt"""

    BOOKED = "booked", "Tour booked"
    MOVED = "moved", "Tour moved"
    CANCELLED = "cancelled", "Tour cancelled"
    WITHDRAWN = "withdrawn", "Tour cancelled: space no longer listed"
    REMINDER = "reminder", "Tour tomorrow"
    FOLLOW_UP = "follow_up", "After the tour"  # to the guest: the pre-filled request form


class TourRecipient(models.TextChoices):
    HOST = "host", "Host"
    GUEST = "guest", "Guest"


def tour_email_key(*, tour_id: int, kind: str, to: str, sequence: int) -> str:
    return f"tour:{tour_id}:{kind}:{to}:seq:{sequence}"


def tour_ics(*, tour: Tour, to: TourRecipient) -> bytes:
    """The invitation for one recipient: METHOD:REQUEST (new or moved: the same UID with a
    higher SEQUENCE replaces it in a calendar) or METHOD:CANCEL. Each copy names only its
    reader as attendee: the other party's address is not handed over."""
    listing = tour.listing
    cancelled = tour.status == Tour.Status.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", "-//PivotDesk//Tours//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"tour-{tour.pk}@{site_domain()}")
    event.add("sequence", tour.sequence)
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", tour.starts_at.astimezone(datetime.UTC))
    event.add("dtend", tour.ends_at.astimezone(datetime.UTC))
    event.add("summary", header_text(f"Tour of {listing.title}"))
    event.add("location", listing.address)
    event.add("url", f"{settings.SITE_URL}{tour.get_absolute_url()}")
    event.add("description", f"{settings.SITE_URL}{tour.get_absolute_url()}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:no-reply@{site_domain()}")
    organizer.params["cn"] = "PivotDesk"
    event.add("organizer", organizer)
    reader = listing.host if to == TourRecipient.HOST else tour.guest
    attendee = vCalAddress(f"mailto:{reader.email}")
    attendee.params["cn"] = header_text(reader.display_name)
    attendee.params["partstat"] = "ACCEPTED"
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()


def tour_email_subject(*, tour: Tour, kind: TourEmailKind, to: TourRecipient) -> str:
    title = header_text(tour.listing.title)
    at = timezone.localtime(tour.starts_at)
    when = f"{at:%a %b} {at.day}, {at:%-I:%M %p}"
    match kind:
        case TourEmailKind.BOOKED if to == TourRecipient.HOST:
            subject = f"New tour: {title}, {when}"
        case TourEmailKind.BOOKED:
            subject = f"Your tour of {title}: {when}"
        case TourEmailKind.MOVED:
            subject = f"Tour moved to {when}: {title}"
        case TourEmailKind.CANCELLED:
            subject = f"Tour cancelled: {title}, {when}"
        case TourEmailKind.WITHDRAWN:
            subject = f"Tour cancelled, {title} is no longer listed: {when}"
        case TourEmailKind.REMINDER:
            subject = f"Tomorrow: tour of {title} at {at:%-I:%M %p}"
        case TourEmailKind.FOLLOW_UP:
            subject = f"After your tour: request desks at {title}"
    return header_text(subject)


def tour_email_render(
    *, tour_id: int, kind: TourEmailKind, to: TourRecipient, sequence: int
) -> EmailMultiAlternatives | None:
    """The email, or None when the tour is gone or has moved on (a later SEQUENCE)."""
    tour = (
        Tour.objects.select_related("listing", "listing__city", "listing__host", "guest")
        .filter(pk=tour_id)
        .first()
    )
    if tour is None or tour.sequence != sequence:
        return None
    if kind in (TourEmailKind.REMINDER, TourEmailKind.FOLLOW_UP) and not tour.is_booked:
        return None
    for_host = to == TourRecipient.HOST
    context = {
        "tour": tour,
        "listing": tour.listing,
        "for_host": for_host,
        "recipient": tour.listing.host if for_host else tour.guest,
        "starts": timezone.localtime(tour.starts_at),
        "url": f"{settings.SITE_URL}{tour.get_absolute_url()}",
        "listing_url": f"{settings.SITE_URL}{tour.listing.get_absolute_url()}",
        "city_url": f"{settings.SITE_URL}{tour.listing.city.get_absolute_url()}",
        "cancelled_by_host": tour.cancelled_by_id == tour.listing.host_id,
        "request_url": f"{settings.SITE_URL}{request_prefill_url(tour=tour)}",
    }
    message = EmailMultiAlternatives(
        subject=tour_email_subject(tour=tour, kind=kind, to=to),
        body=render_to_string(f"tours/email/{kind}.txt", context),
        to=[context["recipient"].email],
        reply_to=[f"PivotDesk no-reply <no-reply@{site_domain()}>"],
    )
    if kind != TourEmailKind.FOLLOW_UP:  # the tour is over: nothing for a calendar
        method = "CANCEL" if tour.status == Tour.Status.CANCELLED else "REQUEST"
        message.attach("tour.ics", tour_ics(tour=tour, to=to), f"text/calendar; method={method}")
    return message


@task
def tour_email_send(*, tour_id: int, kind: str, to: str, sequence: int) -> bool:
    """The job: send one tour email unless it was sent already; return whether it went."""
    message = tour_email_render(
        tour_id=tour_id, kind=TourEmailKind(kind), to=TourRecipient(to), sequence=sequence
    )
    if message is None:
        return False
    key = tour_email_key(tour_id=tour_id, kind=kind, to=to, sequence=sequence)
    return email_send_once(key=key, message=message)


def tour_emails_enqueue(
    *, tour: Tour, kind: TourEmailKind, to: Sequence[TourRecipient] = tuple(TourRecipient)
) -> None:
    """One job per side (guest and host, or those in ``to``). Call inside the service's
    transaction."""
    for recipient in to:
        tour_email_send.enqueue(
            tour_id=tour.pk, kind=kind.value, to=recipient.value, sequence=tour.sequence
        )
