"""Question emails, text + HTML, sent by the worker (the pattern of bookings.emails).

Services call ``question_email_enqueue`` inside their transaction: the email is a job row of
that transaction, so a rolled-back message mails no one and a committed one always does, and
no request waits for the mail server. A job that runs twice sends once, keyed on the message.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string

from jobs.services import email_send_once
from pivotdesk.emails import header_text, site_domain

from .models import Message


def reply_to() -> str:
    """Question emails come from a mailbox nobody reads: the conversation's page is where
    the guest and the host write (an address of the other party would show it). Replies go
    to a no-reply address on the site's domain; each email says so and links to the page."""
    return f"PivotDesk no-reply <no-reply@{site_domain()}>"


def question_email_subject(message: Message, *, for_host: bool) -> str:
    """Spoken to its reader; always passed through ``header_text``."""
    title = header_text(message.conversation.listing.title)
    if for_host:
        return header_text(f"New question about {title}")
    return header_text(f"The host of {title} answered")


def question_email_render(message_id: int) -> EmailMultiAlternatives | None:
    """The email telling the other party of the conversation about message ``message_id``,
    or None when the message is gone."""
    message = (
        Message.objects.select_related(
            "author",
            "conversation__guest",
            "conversation__listing__host",
            "conversation__listing__city",
        )
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return None
    conversation = message.conversation
    listing = conversation.listing
    for_host = message.author_id == conversation.guest_id
    recipient = listing.host if for_host else conversation.guest
    context = {
        "message": message,
        "conversation": conversation,
        "listing": listing,
        "recipient": recipient,
        "for_host": for_host,
        "url": f"{settings.SITE_URL}{message.get_absolute_url()}",
        "listing_url": f"{settings.SITE_URL}{listing.get_absolute_url()}",
    }
    email = EmailMultiAlternatives(
        subject=question_email_subject(message, for_host=for_host),
        body=render_to_string("questions/email/message_new.txt", context),
        to=[recipient.email],
        reply_to=[reply_to()],
    )
    email.attach_alternative(
        render_to_string("questions/email/message_new.html", context), "text/html"
    )
    return email


@task
def question_email_send(*, message_id: int) -> bool:
    """The job: tell the other party about one message unless that email went already;
    return whether it went now. A mail server that refuses or hangs raises, and the job is
    retried."""
    email = question_email_render(message_id)
    if email is None:
        return False
    return email_send_once(key=f"questions:message:{message_id}", message=email)


_muted: ContextVar[bool] = ContextVar("question_emails_muted", default=False)


def question_email_enqueue(*, message: Message) -> None:
    """Queue the email about ``message``; call inside the transaction that wrote it. Inside
    ``question_emails_muted`` nothing is queued."""
    if _muted.get():
        return
    question_email_send.enqueue(message_id=message.pk)


@contextmanager
def question_emails_muted() -> Iterator[None]:
    """The service calls inside send no email (demo data is history, not news)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)
