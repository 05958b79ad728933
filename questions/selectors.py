"""Reads for questions: the pages own no query of their own."""

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery

from accounts.models import User

from .models import Conversation, Message


def conversations_for_user(*, user: User) -> QuerySet[Conversation]:
    """The conversations ``user`` takes part in (as guest or as host), newest message first,
    each with its message count and the last message's author (one query)."""
    last = Message.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        Conversation.objects.with_party(user)
        .select_related("listing", "listing__city", "listing__host", "guest")
        .annotate(
            message_count=Count("messages"),
            last_author_id=Subquery(last.values("author_id")[:1]),
        )
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
