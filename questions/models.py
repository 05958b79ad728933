from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse

from listings.models import Listing

# As long as a booking's message (bookings.Message): a question, not an essay.
BODY_MAX_LENGTH = 5000


class ConversationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(closed_at__isnull=True)

    def with_party(self, user):
        """Conversations ``user`` takes part in: as the guest who asked, or as the host of
        the space asked about."""
        return self.filter(Q(guest=user) | Q(listing__host=user))


class Conversation(models.Model):
    """A guest's questions to the host of one space, before any booking. One open
    conversation per guest and space: asking again continues it. Either party may close it;
    the guest's next question then starts a new one. Writes go through questions.services."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="conversations")
    guest = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="question_conversations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["guest", "listing"],
                condition=Q(closed_at__isnull=True),
                name="questions_one_open_per_guest_listing",
                violation_error_message="You already have an open conversation about this space.",
            ),
        ]
        indexes = [
            models.Index(fields=["guest", "-last_message_at"], name="questions_conv_guest"),
            models.Index(fields=["listing", "-last_message_at"], name="questions_conv_listing"),
        ]

    def __str__(self):
        return f"Questions #{self.pk} about listing #{self.listing_id}"

    def get_absolute_url(self):
        return reverse("questions:detail", kwargs={"pk": self.pk})

    @property
    def is_open(self):
        return self.closed_at is None


class Message(models.Model):
    """One message in a conversation, by its guest or by the space's host."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="question_messages"
    )
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="questions_message_body_not_empty"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), BODY_MAX_LENGTH),
                name="questions_message_body_bounded",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="questions_msg_conv_created")
        ]

    def __str__(self):
        return f"Message #{self.pk} in questions #{self.conversation_id}"

    def get_absolute_url(self):
        return f"{reverse('questions:detail', kwargs={'pk': self.conversation_id})}#m{self.pk}"
