"""Reads for questions: the pages own no query of their own."""

from django.db.models import Count, F, OuterRef, Prefetch, QuerySet, Subquery

from accounts.models import User

from .models import Conversation, Message


def _last_author():
    last = Message.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
    return Subquery(last.values("author_id")[:1])


def conversations_for_user(*, user: User) -> QuerySet[Conversation]:
    """The conversations ``user`` takes part in (as guest or as host), newest message first,
    each with its message count and the last message's author (one query)."""
    return (
        Conversation.objects.with_party(user)
        .select_related("listing", "listing__city", "listing__host", "guest")
        .annotate(
            message_count=Count("messages"),
            last_author_id=_last_author(),
        )
    )


def questions_waiting_for_host(*, host: User) -> QuerySet[Conversation]:
    """Open conversations about ``host``'s spaces whose last word is the guest's, oldest
    first (the one waiting longest leads)."""
    return (
        Conversation.objects.open()
        .filter(listing__host=host)
        .annotate(last_author_id=_last_author())
        .filter(last_author_id=F("guest_id"))
        .select_related("listing", "guest")
        .order_by("last_message_at", "id")
    )


def conversation_for_viewer(*, user: User, pk: int) -> QuerySet[Conversation]:
    """The conversation ``pk`` if ``user`` takes part in it (an empty queryset otherwise),
    with its messages and their authors."""
    return (
        Conversation.objects.with_party(user)
        .filter(pk=pk)
        .select_related("listing", "listing__city", "listing__host", "guest")
        .prefetch_related(Prefetch("messages", Message.objects.select_related("author")))
    )


def open_conversation(*, guest: User, listing_id: int) -> Conversation | None:
    """The guest's open conversation about a space, if any (the ask page links to it)."""
    return Conversation.objects.open().filter(guest=guest, listing_id=listing_id).first()
