"""Question emails are jobs of the service's transaction, sent by the worker: the other
party hears of each message once, from a no-reply address, with a link back to the page."""

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from jobs.services import message_id
from listings.tests.factories import ListingFactory
from questions import services
from questions.emails import question_email_send

pytestmark = pytest.mark.django_db


def email_jobs():
    return DBTaskResult.objects.filter(task_path=question_email_send.module_path)


def test_a_question_emails_the_host_once_through_the_worker(run_jobs, settings):
    settings.SITE_URL = "https://desks.example"
    listing = ListingFactory(title="Loft on Pearl")
    guest = UserFactory(name="Grace Hopper")
    message = services.question_ask(guest=guest, listing=listing, body="Is there parking?")
    assert mail.outbox == []  # the guest's request sent nothing itself
    question_email_send.enqueue(message_id=message.pk)  # the same email, queued again
    run_jobs()
    [email] = mail.outbox
    assert email.to == [listing.host.email]
    assert email.subject == "New question about Loft on Pearl"
    assert email.reply_to == ["PivotDesk no-reply <no-reply@desks.example>"]
    url = f"https://desks.example/questions/{message.conversation_id}/#m{message.pk}"
    assert "Grace Hopper asked about Loft on Pearl" in email.body
    assert "Is there parking?" in email.body and url in email.body
    assert url in email.alternatives[0].content
    assert email.message()["Message-ID"] == message_id(key=f"questions:message:{message.pk}")
    assert sorted(job.return_value for job in email_jobs()) == [False, True]


def test_the_hosts_answer_emails_the_guest(run_jobs):
    listing = ListingFactory(title="Loft on Pearl")
    guest = UserFactory()
    conversation = services.question_ask(guest=guest, listing=listing, body="Dogs?").conversation
    services.question_reply(conversation=conversation, author=listing.host, body="Dogs welcome.")
    run_jobs()
    to_guest = [m for m in mail.outbox if m.to == [guest.email]]
    [email] = to_guest
    assert email.subject == "The host of Loft on Pearl answered"
    assert "Dogs welcome." in email.body and "Dogs?" not in email.body
    assert len(mail.outbox) == 2  # the question to the host, the answer to the guest


def test_a_title_with_a_line_break_makes_a_one_line_subject(run_jobs):
    listing = ListingFactory(title="Loft\r\nBcc: victim@example.test")
    services.question_ask(guest=UserFactory(), listing=listing, body="Parking?")
    run_jobs()
    [email] = mail.outbox
    assert email.subject == "New question about Loft Bcc: victim@example.test"
    assert email.message()["Bcc"] is None and email.bcc == []


def test_a_rolled_back_question_mails_no_one(run_jobs):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.question_ask(guest=UserFactory(), listing=ListingFactory(), body="Parking?")
        raise Abort
    assert not email_jobs().exists()
    run_jobs()
    assert mail.outbox == []
