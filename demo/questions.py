"""The demo's questions: the demo guest has asked two hosts before booking, and each
answered; the demo guest's follow-up to the demo host waits for the host's reply, so
/questions/ and the host's home page show both sides. Made by the questions services."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from listings.models import Listing
from questions import services as question_services
from questions.emails import question_emails_muted
from questions.models import Conversation

# (question, the host's answer, the guest's follow-up or "")
THREADS = [
    (
        "Hi! Is there somewhere safe to leave two bikes during the day?",
        "Yes: there's a locked bike room off the lobby, and the fob you get opens it.",
        "Perfect. And can we take calls from the desks, or is there a phone booth?",
    ),
    (
        "Can we bring a (very calm) dog on Fridays?",
        "Dogs are welcome every day, as long as they're friendly with the office cat.",
        "",
    ),
]


def seed_questions(*, guest: User, hosts: list[User]) -> str:
    """Two conversations of ``guest``: one with the demo host (``hosts[0]``), whose last
    message waits for the host's answer, and one with another host, answered. Only when the
    guest has asked nothing yet; all or nothing, no email. Returns a line for the output."""
    if Conversation.objects.filter(guest=guest).exists():
        return ""
    booked = guest.bookings.values_list("listing_id", flat=True)
    listings = [
        Listing.objects.published().filter(host=host).exclude(pk__in=booked).order_by("pk").first()
        for host in hosts[:2]
    ]
    if None in listings:
        return ""
    try:
        with transaction.atomic(), question_emails_muted():
            for listing, (question, answer, follow_up) in zip(listings, THREADS, strict=True):
                asked = question_services.question_ask(guest=guest, listing=listing, body=question)
                question_services.question_reply(
                    conversation=asked.conversation, author=listing.host, body=answer
                )
                if follow_up:
                    question_services.question_ask(guest=guest, listing=listing, body=follow_up)
    except ValidationError as exc:
        return f"demo questions skipped: {' '.join(exc.messages)}"
    return (
        f"demo questions: {guest.email} asked {' and '.join(listing.title for listing in listings)}"
    )
