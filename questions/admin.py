"""Questions in both admins, read-only: the guest and the host write on the site's
conversation page (questions.services), never through a form here."""

from django.contrib import admin
from django.urls import reverse

from accounts.admin_params import ForgedParamsMixin, ReadOnlyMixin
from accounts.admin_site import host_site

from . import selectors
from .models import Conversation, Message

PANEL_SHOWN = 10


class MessageInline(ReadOnlyMixin, admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    # Messages are not registered on their own: the conversation's link is the one to open.
    view_on_site = False
    fields = readonly_fields = ["created_at", "author", "body"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class ConversationAdminBase(ReadOnlyMixin, ForgedParamsMixin, admin.ModelAdmin):
    list_display = ["__str__", "listing", "guest_name", "last_message_at", "closed_at"]
    list_filter = [("closed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["listing", "guest"]
    search_fields = ["guest__email", "guest__name", "listing__title"]
    fields = readonly_fields = ["listing", "guest", "created_at", "last_message_at", "closed_at"]
    inlines = [MessageInline]

    @admin.display(description="Guest", ordering="guest__name")
    def guest_name(self, obj):
        return obj.guest.display_name


@admin.register(Conversation)
class ConversationAdmin(ConversationAdminBase):
    """Operators see every conversation."""


class HostConversationAdmin(ConversationAdminBase):
    """A host sees the questions about their own spaces; they answer on the site's page
    ("View on site")."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(listing__host=request.user)


host_site.register(Conversation, HostConversationAdmin)


@host_site.add_index_panel
def questions_panel(request):
    """The host's home page lists the questions waiting for their answer (nothing when none
    do); each links to the conversation's page on the site, where the host answers."""
    waiting = list(selectors.questions_waiting_for_host(host=request.user)[: PANEL_SHOWN + 1])
    if not waiting:
        return None
    return {
        "title": "Questions waiting for your answer",
        "count": len(waiting[:PANEL_SHOWN]),
        "items": [
            {
                "url": c.get_absolute_url(),
                "text": f"{c.guest.display_name} about {c.listing.title}, "
                f"{c.last_message_at:%b} {c.last_message_at.day}",
            }
            for c in waiting[:PANEL_SHOWN]
        ],
        "empty": "",
        "link": reverse(f"{host_site.name}:questions_conversation_changelist"),
        "link_text": "All questions",
    }
