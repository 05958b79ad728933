"""Questions fed hostile values: a form error, a 404 or success, never a 5xx; what a guest
typed is stored as typed and shown escaped to the host."""

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from questions.models import Conversation, Message
from questions.services import question_ask

from .conftest import SCRIPTY, SQLY
from .strategies import nasty

HOSTILE = settings.get_profile("hostile")
EVIL = f"{SCRIPTY} {SQLY}"


def _as(user):
    client = Client()
    client.force_login(user)
    return client


@settings(HOSTILE)
@given(body=st.one_of(st.none(), nasty))
def test_ask_and_reply_forms(world, body):
    cache.clear()  # the per-member budget (settings.QUESTIONS_RATE) is tested on its own
    data = {} if body is None else {"body": body}
    asked = _as(world["guest"]).post("/spaces/boulder/a-space/ask/", data)
    assert asked.status_code in {200, 302, 400}, asked.status_code
    conversation = Conversation.objects.filter(guest=world["guest"]).first()
    if conversation is not None:
        reply = _as(world["host_a"]).post(f"/questions/{conversation.pk}/reply/", data)
        assert reply.status_code in {302, 400}, reply.status_code
    assert not Message.objects.filter(body="").exists()


@pytest.fixture
def theirs(world):
    """Another guest's question to another host."""
    return question_ask(guest=world["other_guest"], listing=world["listing_b"], body="Hi")


@settings(HOSTILE)
@given(pk=st.one_of(st.integers(), st.from_regex(r"[0-9a-z._-]{1,30}", fullmatch=True)))
def test_forged_conversation_ids(world, theirs, pk):
    client = _as(world["guest"])
    for url in (f"/questions/{pk}/", f"/questions/{theirs.conversation_id}/"):
        assert client.get(url).status_code == 404
        assert client.post(f"{url}reply/", {"body": "hi"}).status_code == 404
    assert theirs.conversation.messages.count() == 1


def test_a_question_is_shown_escaped_to_the_host(world):
    message = question_ask(guest=world["guest"], listing=world["listing_a"], body=EVIL)
    assert Message.objects.get(pk=message.pk).body == EVIL
    host = _as(world["host_a"])
    for url in ("/questions/", message.conversation.get_absolute_url()):
        html = host.get(url).content
        assert SCRIPTY.encode() not in html
    assert b"&lt;script&gt;" in host.get(message.conversation.get_absolute_url()).content
