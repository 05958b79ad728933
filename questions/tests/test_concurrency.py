"""A guest's double click (or two tabs) asking at once: one conversation, every message kept.

Postgres only (SQLite serialises every write, so it proves nothing), in real transactions:
each thread has its own connection, and a barrier releases them together.
"""

import threading

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory
from questions import services
from questions.models import Conversation, Message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def test_questions_asked_at_once_share_one_conversation(postgres_only):
    listing, guest = ListingFactory(), UserFactory()
    barrier = threading.Barrier(THREADS, timeout=30)
    outcomes = [None] * THREADS

    def ask(i):
        try:
            barrier.wait()
            outcomes[i] = services.question_ask(guest=guest, listing=listing, body=f"Q{i}")
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert [type(o) for o in outcomes] == [Message] * THREADS, outcomes
    conversation = Conversation.objects.get()
    assert conversation.messages.count() == THREADS
