import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from questions import services
from questions.emails import question_email_send
from questions.models import BODY_MAX_LENGTH, Conversation, Message

from .factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def email_jobs():
    return DBTaskResult.objects.filter(task_path=question_email_send.module_path)


def test_asking_starts_a_conversation_and_queues_the_hosts_email():
    listing, guest = ListingFactory(), UserFactory()
    message = services.question_ask(guest=guest, listing=listing, body="  Is there parking?  ")
    conversation = message.conversation
    assert (conversation.guest, conversation.listing, conversation.is_open) == (
        guest,
        listing,
        True,
    )
    assert message.body == "Is there parking?" and message.author == guest
    assert conversation.last_message_at == message.created_at
    [job] = email_jobs()
    assert job.args_kwargs["kwargs"] == {"message_id": message.pk}


def test_asking_again_continues_the_open_conversation():
    listing, guest = ListingFactory(), UserFactory()
    first = services.question_ask(guest=guest, listing=listing, body="Is there parking?")
    second = services.question_ask(guest=guest, listing=listing, body="Can we bring a dog?")
    assert second.conversation == first.conversation
    assert Conversation.objects.count() == 1
    assert [m.body for m in first.conversation.messages.all()] == [
        "Is there parking?",
        "Can we bring a dog?",
    ]


def test_another_guest_or_space_gets_its_own_conversation():
    listing, guest = ListingFactory(), UserFactory()
    services.question_ask(guest=guest, listing=listing, body="Parking?")
    services.question_ask(guest=UserFactory(), listing=listing, body="Parking?")
    services.question_ask(guest=guest, listing=ListingFactory(), body="Parking?")
    assert Conversation.objects.count() == 3


def test_after_closing_a_new_question_starts_a_new_conversation():
    listing, guest = ListingFactory(), UserFactory()
    first = services.question_ask(guest=guest, listing=listing, body="Parking?").conversation
    services.conversation_close(conversation=first, by=listing.host)
    second = services.question_ask(guest=guest, listing=listing, body="And a dog?").conversation
    assert second != first and second.is_open
    first.refresh_from_db()
    assert not first.is_open


def test_the_host_cannot_ask_about_their_own_space():
    listing = ListingFactory()
    with pytest.raises(ValidationError) as exc:
        services.question_ask(guest=listing.host, listing=listing, body="Parking?")
    assert exc.value.messages == [services.QUESTION_OWN_LISTING]
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("status", [Listing.Status.DRAFT, Listing.Status.ARCHIVED])
def test_an_unpublished_space_takes_no_questions(status):
    listing = ListingFactory(status=status)
    with pytest.raises(ValidationError) as exc:
        services.question_ask(guest=UserFactory(), listing=listing, body="Parking?")
    assert exc.value.messages == [services.QUESTION_LISTING_UNPUBLISHED]
    assert not email_jobs().exists()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", services.QUESTION_EMPTY),
        (" \n\t ", services.QUESTION_EMPTY),
        ("x" * (BODY_MAX_LENGTH + 1), services.MESSAGE_TOO_LONG),
    ],
)
def test_empty_or_too_long_questions_are_refused(body, error):
    with pytest.raises(ValidationError) as exc:
        services.question_ask(guest=UserFactory(), listing=ListingFactory(), body=body)
    assert exc.value.messages == [error]
    assert not Conversation.objects.exists()


def test_the_longest_question_is_taken():
    message = services.question_ask(
        guest=UserFactory(), listing=ListingFactory(), body="x" * BODY_MAX_LENGTH
    )
    assert len(message.body) == BODY_MAX_LENGTH


def test_guest_and_host_reply_and_the_conversation_moves_up():
    conversation = MessageFactory().conversation
    host = conversation.listing.host
    answer = services.question_reply(conversation=conversation, author=host, body="Yes, two.")
    thanks = services.question_reply(
        conversation=conversation, author=conversation.guest, body="Thanks!"
    )
    assert [m.author for m in conversation.messages.all()][1:] == [host, conversation.guest]
    conversation.refresh_from_db()
    assert conversation.last_message_at == thanks.created_at > answer.created_at
    assert email_jobs().count() == 2


def test_a_stranger_cannot_reply_nor_close():
    conversation = MessageFactory().conversation
    stranger = UserFactory()
    with pytest.raises(ValidationError) as exc:
        services.question_reply(conversation=conversation, author=stranger, body="Hi")
    assert exc.value.messages == [services.MESSAGE_NOT_A_PARTY]
    with pytest.raises(ValidationError):
        services.conversation_close(conversation=conversation, by=stranger)
    conversation.refresh_from_db()
    assert conversation.is_open and conversation.messages.count() == 1


def test_a_closed_conversation_takes_no_replies():
    conversation = MessageFactory().conversation
    services.conversation_close(conversation=conversation, by=conversation.guest)
    with pytest.raises(ValidationError) as exc:
        services.question_reply(
            conversation=conversation, author=conversation.listing.host, body="Late answer"
        )
    assert exc.value.messages == [services.CONVERSATION_CLOSED]


def test_an_empty_reply_is_refused():
    conversation = MessageFactory().conversation
    with pytest.raises(ValidationError) as exc:
        services.question_reply(conversation=conversation, author=conversation.guest, body="  ")
    assert exc.value.messages == [services.MESSAGE_EMPTY]


def test_the_database_refuses_a_second_open_conversation_and_empty_bodies():
    conversation = ConversationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ConversationFactory(guest=conversation.guest, listing=conversation.listing)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(conversation=conversation, author=conversation.guest, body="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            conversation=conversation, author=conversation.guest, body="x" * (BODY_MAX_LENGTH + 1)
        )
