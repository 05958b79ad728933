"""Writes for questions: a guest asks a space's host before booking, either replies.

Each write is one transaction; the other party's email is a job row of it (questions.emails),
sent by the worker after the commit. No listing lock: a question changes no capacity and no
public page (the listing page shows no questions, so the page cache stays as it is).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from listings.models import Listing

from .emails import question_email_enqueue
from .models import BODY_MAX_LENGTH, Conversation, Message

QUESTION_EMPTY = "Write your question first."
MESSAGE_EMPTY = "Write a message first."
MESSAGE_TOO_LONG = f"Keep it to {BODY_MAX_LENGTH:,} characters."
QUESTION_OWN_LISTING = "This is your own space: guests ask you here, and you answer them."
QUESTION_LISTING_UNPUBLISHED = "This space is not open for questions."
MESSAGE_NOT_A_PARTY = "Only the guest who asked and the space's host can write here."
CONVERSATION_CLOSED = "This conversation is closed. Ask again from the space's page."


def _clean_body(body: str, *, empty: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError(empty, code="empty")
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(MESSAGE_TOO_LONG, code="too_long")
    return body


def _add(conversation: Conversation, *, author: User, body: str) -> Message:
    message = Message(conversation=conversation, author=author, body=body)
    message.full_clean()
    message.save()
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
    conversation.last_message_at = message.created_at
    question_email_enqueue(message=message)
    return message


@transaction.atomic
def question_ask(*, guest: User, listing: Listing, body: str) -> Message:
    """Ask the host of a published space: continue the guest's open conversation about it,
    or start one. The host is emailed."""
    body = _clean_body(body, empty=QUESTION_EMPTY)
    if listing.host_id == guest.pk:
        raise ValidationError(QUESTION_OWN_LISTING, code="own_listing")
    if not Listing.objects.published().filter(pk=listing.pk).exists():
        raise ValidationError(QUESTION_LISTING_UNPUBLISHED, code="unpublished")
    conversation = Conversation.objects.open().filter(guest=guest, listing=listing).first()
    if conversation is None:
        conversation = Conversation(guest=guest, listing=listing, last_message_at=timezone.now())
        # One open conversation per guest and space is the database's constraint, checked at
        # the insert: a check here first would turn a double click into an error.
        conversation.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                conversation.save()
        except IntegrityError:
            # The same guest's other tab opened it a moment ago: continue that one.
            conversation = Conversation.objects.open().get(guest=guest, listing=listing)
    return _add(conversation, author=guest, body=body)


def _party_check(*, conversation: Conversation, user: User) -> None:
    if user.pk not in (conversation.guest_id, conversation.listing.host_id):
        raise ValidationError(MESSAGE_NOT_A_PARTY, code="not_a_party")


@transaction.atomic
def question_reply(*, conversation: Conversation, author: User, body: str) -> Message:
    """Add to an open conversation, as its guest or as the space's host; the other party is
    emailed."""
    _party_check(conversation=conversation, user=author)
    body = _clean_body(body, empty=MESSAGE_EMPTY)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not conversation.is_open:
        raise ValidationError(CONVERSATION_CLOSED, code="closed")
    return _add(conversation, author=author, body=body)


@transaction.atomic
def conversation_close(*, conversation: Conversation, by: User) -> Conversation:
    """Either party closes the conversation (answered, or going nowhere): no more replies,
    and the guest's next question about the space starts a new one. Closing twice is a
    no-op."""
    _party_check(conversation=conversation, user=by)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.is_open:
        conversation.closed_at = timezone.now()
        conversation.save(update_fields=["closed_at"])
    return conversation
