import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory
from questions.models import Conversation, Message


class ConversationFactory(factory.django.DjangoModelFactory):
    """A conversation row as stored; it does not go through the services (tests set up
    state)."""

    class Meta:
        model = Conversation

    listing = factory.SubFactory(ListingFactory)
    guest = factory.SubFactory(UserFactory)
    last_message_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    author = factory.LazyAttribute(lambda o: o.conversation.guest)
    body = "Is there parking?"
