"""Hosts see the questions about their own spaces in /host/, read-only; operators see all."""

import re

import pytest
from django.contrib.auth.models import Permission

from accounts.services import host_permissions
from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory

from .factories import MessageFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/host/questions/conversation/"


def host_with_permissions(host):
    codenames = [
        perm.split(".", 1)[1] for perm in host_permissions() if perm.startswith("questions.")
    ]
    assert codenames == ["view_conversation", "view_message"]  # read-only
    host.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="questions", codename__in=codenames)
    )
    return host


def test_a_host_sees_only_the_questions_about_their_spaces(client):
    listing = ListingFactory(title="Host's loft")
    host = host_with_permissions(listing.host)
    mine = MessageFactory(conversation__listing=listing, body="Is there parking?").conversation
    theirs = MessageFactory(conversation__listing=ListingFactory(title="Other studio"))
    client.force_login(host)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    assert "Other studio" not in response.text
    page = client.get(f"{CHANGELIST}{mine.pk}/change/")
    assert page.status_code == 200 and "Is there parking?" in page.text
    # Read-only: no save button, no add, no delete; someone else's is not found.
    assert 'name="_save"' not in page.text
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.post(f"{CHANGELIST}{mine.pk}/delete/").status_code == 403
    other = client.get(f"{CHANGELIST}{theirs.conversation_id}/change/")
    assert other.status_code == 302 and other["Location"] == "/host/"


def test_view_on_site_opens_the_conversation_page_where_the_host_answers(client):
    conversation = MessageFactory().conversation
    host = host_with_permissions(conversation.listing.host)
    client.force_login(host)
    page = client.get(f"{CHANGELIST}{conversation.pk}/change/")
    [link] = set(re.findall(r'href="(/host/r/\d+/\d+/)"', page.text))
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == f"/questions/{conversation.pk}/"
    assert client.get(response["Location"]).status_code == 200


def test_operators_see_every_conversation(admin_client):
    MessageFactory()
    MessageFactory(conversation__guest=UserFactory())
    response = admin_client.get("/admin/questions/conversation/")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2


def test_the_host_home_page_lists_the_questions_waiting_for_an_answer(client):
    from questions import services

    listing = ListingFactory(title="Host's loft")
    host = host_with_permissions(listing.host)
    waiting = services.question_ask(
        guest=UserFactory(name="Wanda Waiting"), listing=listing, body="Parking?"
    ).conversation
    answered = services.question_ask(
        guest=UserFactory(name="Andy Answered"), listing=listing, body="Dogs?"
    ).conversation
    services.question_reply(conversation=answered, author=host, body="Yes")
    services.question_ask(guest=UserFactory(name="Else Where"), listing=ListingFactory(), body="?")
    client.force_login(host)
    page = client.get("/host/")
    assert "Questions waiting for your answer (1)" in page.text
    assert "Wanda Waiting about Host&#x27;s loft" in page.text
    assert f'href="/questions/{waiting.pk}/"' in page.text
    assert "Andy Answered" not in page.text and "Else Where" not in page.text
    services.question_reply(conversation=waiting, author=host, body="Yes")
    assert "Questions waiting" not in client.get("/host/").text
