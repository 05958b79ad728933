import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.tests.factories import HostFactory, UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from questions import services
from questions.models import BODY_MAX_LENGTH, Conversation, Message

from .factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def ask_url(listing):
    return f"/spaces/{listing.city.slug}/{listing.slug}/ask/"


@pytest.fixture
def guest_client(client):
    client.user = UserFactory(name="Grace Hopper")
    client.force_login(client.user)
    return client


def test_the_ask_page_needs_a_login(client):
    listing = ListingFactory()
    assert reverse("questions:ask", args=[listing.city.slug, listing.slug]) == ask_url(listing)
    response = client.get(ask_url(listing))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    for url in ["/questions/", "/questions/1/"]:
        assert client.get(url).status_code == 302


def test_a_guest_asks_and_lands_on_the_conversation(guest_client):
    listing = ListingFactory(title="Loft on Pearl")
    page = guest_client.get(ask_url(listing))
    assert page.status_code == 200 and "private" in page["Cache-Control"]
    assert "Ask the host of Loft on Pearl" in page.text
    response = guest_client.post(ask_url(listing), {"body": "Is there parking?"}, follow=True)
    conversation = Conversation.objects.get()
    assert response.redirect_chain == [(conversation.get_absolute_url(), 302)]
    assert "Is there parking?" in response.text
    assert "You&#x27;ll get the host&#x27;s answer by email" in response.text
    # Back on the ask page: a link to the conversation, which the next question continues.
    page = guest_client.get(ask_url(listing))
    assert conversation.get_absolute_url() in page.text


@pytest.mark.parametrize("body", ["", "   ", "x" * (BODY_MAX_LENGTH + 1)])
def test_an_empty_or_too_long_question_is_a_form_error(guest_client, body):
    response = guest_client.post(ask_url(ListingFactory()), {"body": body})
    assert response.status_code == 400
    assert response.context["form"].errors["body"]
    assert not Conversation.objects.exists()


def test_the_host_gets_no_form_on_their_own_space_and_a_post_is_refused(client):
    listing = ListingFactory()
    client.force_login(listing.host)
    page = client.get(ask_url(listing))
    assert "This is your own space" in page.text and "<textarea" not in page.text
    response = client.post(ask_url(listing), {"body": "Hello me"})
    assert response.status_code == 400
    assert escape(services.QUESTION_OWN_LISTING) in response.text
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("status", [Listing.Status.DRAFT, Listing.Status.ARCHIVED])
def test_an_unpublished_or_unknown_space_is_a_404(guest_client, status):
    listing = ListingFactory(status=status)
    assert guest_client.get(ask_url(listing)).status_code == 404
    assert guest_client.post(ask_url(listing), {"body": "Hi"}).status_code == 404
    assert guest_client.get("/spaces/boulder/no-such-space/ask/").status_code == 404


def test_the_questions_rate_defaults_to_20_an_hour():
    from pivotdesk.settings import base

    assert base.QUESTIONS_RATE == "20/h"


def test_asking_is_rate_limited_with_a_429_and_retry_after(guest_client, settings):
    settings.QUESTIONS_RATE = "3/h"
    listing = ListingFactory()
    for _ in range(3):
        assert guest_client.post(ask_url(listing), {"body": "Parking?"}).status_code == 302
    response = guest_client.post(ask_url(listing), {"body": "Parking?"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Too many messages" in response.text
    assert "no-cache" in response["Cache-Control"]
    assert Conversation.objects.get().messages.count() == 3
    # The budget is the member's: another member still asks.
    other = Client()
    other.force_login(UserFactory())
    assert other.post(ask_url(listing), {"body": "Parking?"}).status_code == 302
    cache.clear()  # an hour later
    assert guest_client.post(ask_url(listing), {"body": "Parking?"}).status_code == 302


def test_replies_are_rate_limited_too_and_nothing_is_saved_over_the_limit(client, settings):
    settings.QUESTIONS_RATE = "2/h"
    conversation = MessageFactory(body="Can we bring a dog?").conversation
    client.force_login(conversation.listing.host)
    url = f"/questions/{conversation.pk}/reply/"
    for body in ["Dogs welcome.", "Cats too."]:
        assert client.post(url, {"body": body}).status_code == 302
    response = client.post(url, {"body": "And parrots."})
    assert response.status_code == 429 and "Too many messages" in response.text
    assert 0 < int(response["Retry-After"]) <= 3600
    assert list(conversation.messages.values_list("body", flat=True)) == [
        "Can we bring a dog?",
        "Dogs welcome.",
        "Cats too.",
    ]
    # The guest has a budget of their own and still answers.
    guest = Client()
    guest.force_login(conversation.guest)
    assert guest.post(url, {"body": "Great, thanks!"}).status_code == 302


def test_asks_and_replies_share_the_members_one_budget(guest_client, settings):
    settings.QUESTIONS_RATE = "2/h"
    listing = ListingFactory()
    assert guest_client.post(ask_url(listing), {"body": "Parking?"}).status_code == 302
    conversation = Conversation.objects.get()
    reply = f"/questions/{conversation.pk}/reply/"
    assert guest_client.post(reply, {"body": "And bikes?"}).status_code == 302
    assert guest_client.post(reply, {"body": "And dogs?"}).status_code == 429
    assert guest_client.post(ask_url(ListingFactory()), {"body": "Hi"}).status_code == 429
    assert Message.objects.count() == 2


def test_the_list_shows_questions_asked_and_questions_received(client):
    host = HostFactory()
    mine = ListingFactory(host=host, title="Host's loft")
    asked = MessageFactory(conversation__listing=mine).conversation
    other = ListingFactory(title="Somebody's studio")
    MessageFactory(conversation__listing=other, conversation__guest=host)
    MessageFactory(body="Not for this host")  # someone else's conversation
    client.force_login(host)
    response = client.get("/questions/")
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    assert [c.listing.title for c in response.context["as_host"]] == ["Host's loft"]
    assert [c.listing.title for c in response.context["as_guest"]] == ["Somebody's studio"]
    assert asked.guest.display_name in response.text
    assert "Waiting for your reply" in response.text  # the guest's question to the host


def test_the_thread_page_shows_the_messages_and_takes_replies(client):
    conversation = MessageFactory(body="Can we bring a dog?").conversation
    host = conversation.listing.host
    client.force_login(host)
    page = client.get(conversation.get_absolute_url())
    assert page.status_code == 200 and "private" in page["Cache-Control"]
    assert "Can we bring a dog?" in page.text
    response = client.post(f"/questions/{conversation.pk}/reply/", {"body": "Dogs welcome."})
    assert response.status_code == 302
    assert "Dogs welcome." in client.get(conversation.get_absolute_url()).text
    bad = client.post(f"/questions/{conversation.pk}/reply/", {"body": "  "})
    assert bad.status_code == 400 and conversation.messages.count() == 2


def test_a_closed_conversation_shows_no_reply_form(guest_client):
    conversation = MessageFactory(conversation__guest=guest_client.user).conversation
    assert guest_client.post(f"/questions/{conversation.pk}/close/").status_code == 302
    page = guest_client.get(conversation.get_absolute_url())
    assert "This conversation is closed." in page.text and "<textarea" not in page.text
    refused = guest_client.post(f"/questions/{conversation.pk}/reply/", {"body": "One more"})
    assert refused.status_code == 400 and escape(services.CONVERSATION_CLOSED) in refused.text


@pytest.mark.parametrize("suffix", ["", "reply/", "close/"])
def test_strangers_and_forged_ids_get_a_404(guest_client, suffix):
    conversation = MessageFactory().conversation  # not the logged-in user's
    method = guest_client.get if not suffix else guest_client.post
    for pk in [conversation.pk, 999999]:
        assert method(f"/questions/{pk}/{suffix}", {"body": "Hi"}).status_code == 404
    assert guest_client.get("/questions/99999999999999999999999/").status_code == 404
    conversation.refresh_from_db()
    assert conversation.is_open and conversation.messages.count() == 1


def test_the_thread_and_list_pages_take_a_bounded_number_of_queries(
    client, django_assert_num_queries
):
    guest = UserFactory()
    client.force_login(guest)

    def grow():
        conversation = ConversationFactory(guest=guest)
        for _ in range(3):
            MessageFactory(conversation=conversation)
            MessageFactory(conversation=conversation, author=conversation.listing.host)
        return conversation

    first = grow()
    # session, user, conversations (with counts and last authors)
    with django_assert_num_queries(3):
        client.get("/questions/")
    # session, user, conversation, its messages (with authors)
    with django_assert_num_queries(4):
        client.get(first.get_absolute_url())
    for _ in range(5):
        grow()
    MessageFactory.create_batch(10, conversation=first)
    with django_assert_num_queries(3):
        response = client.get("/questions/")
    assert len(response.context["as_guest"]) == 6
    with django_assert_num_queries(4):
        response = client.get(first.get_absolute_url())
    assert response.text.count('class="thread-message') == 16
