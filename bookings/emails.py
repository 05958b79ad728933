"""Booking emails, text + HTML. Services call these only through transaction.on_commit, so a
rolled-back booking never mails anyone."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .models import Booking, Message

logger = logging.getLogger(__name__)

SUBJECTS = {
    "request_new": "New request: {booking.desks} desk(s) at {booking.listing.title}",
    "message_new": "New message about booking #{booking.pk}",
    "approved": "Approved: your desks at {booking.listing.title}",
    "declined": "Declined: your request at {booking.listing.title}",
    "expired": "Expired: your request at {booking.listing.title}",
    "cancelled": "Cancelled: booking #{booking.pk} at {booking.listing.title}",
    "notice": "Notice given: booking #{booking.pk} at {booking.listing.title} ends {booking.end}",
}


def booking_email_send(*, booking_id: int, kind: str, to: str, message_id: int | None = None):
    """Render templates/bookings/email/<kind>.txt/.html for one recipient ("host"/"guest")."""
    booking = (
        Booking.objects.select_related("listing", "listing__host", "listing__city", "guest")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return
    recipient = booking.listing.host if to == "host" else booking.guest
    context = {
        "booking": booking,
        "recipient": recipient,
        "message": Message.objects.select_related("author").filter(pk=message_id).first()
        if message_id
        else None,
        "note": getattr(booking.events.order_by("-at", "-id").first(), "note", ""),
        "url": f"{settings.SITE_URL}{booking.get_absolute_url()}",
    }
    email = EmailMultiAlternatives(
        subject=SUBJECTS[kind].format(booking=booking),
        body=render_to_string(f"bookings/email/{kind}.txt", context),
        to=[recipient.email],
    )
    email.attach_alternative(render_to_string(f"bookings/email/{kind}.html", context), "text/html")
    email.send()
