"""A member closes their account: the card on file and the Stripe customer go, after the
close commits, by a job retried while Stripe fails (docs/decisions/0160)."""

import datetime

import pytest
import requests
from django.core.exceptions import ValidationError
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.services import user_close
from accounts.tests.factories import UserFactory
from payments.collect import customer_stripe_delete
from payments.models import Customer
from payments.services import card_setup_finish, card_setup_start

from .helpers import save_card
from .localstripe import SECRET_KEY, free_port

pytestmark = pytest.mark.django_db(transaction=True)


PASSWORD = "correct-horse-battery"  # UserFactory's


def delete_jobs():
    return DBTaskResult.objects.filter(task_path="payments.tasks.payments_customer_delete")


def at_stripe(localstripe, customer: Customer) -> bool:
    try:
        localstripe.get(f"/v1/customers/{customer.stripe_id}")
    except requests.HTTPError as exc:
        assert exc.response.status_code == 404
        return False
    return True


def card_owner(localstripe, card_id: str):
    return localstripe.get(f"/v1/payment_methods/{card_id}")["customer"]


def attach(localstripe, card_id: str, customer: Customer) -> None:
    """What Stripe does when a customer's SetupIntent succeeds (localstripe leaves the card
    unattached): the card is the customer's."""
    requests.post(
        f"{localstripe.base}/v1/payment_methods/{card_id}/attach",
        data={"customer": customer.stripe_id},
        auth=(SECRET_KEY, ""),
        timeout=5,
    ).raise_for_status()


@pytest.fixture
def member_with_card(localstripe):
    member = UserFactory()
    customer = save_card(localstripe, member)
    attach(localstripe, customer.payment_method_id, customer)
    assert customer.has_card and at_stripe(localstripe, customer)
    return member, customer


def test_closing_forgets_the_card_and_deletes_the_customer_at_stripe_after_commit(
    localstripe, member_with_card, run_jobs
):
    member, customer = member_with_card
    card_id = customer.payment_method_id
    user_close(user=member)

    customer.refresh_from_db()
    assert customer.is_closed and not customer.has_card
    assert (customer.card_brand, customer.card_last4, customer.card_exp) == ("", "", "")
    assert customer.card_saved_at is None
    # Stripe is not called by the close itself: the job does it, once the close committed.
    assert at_stripe(localstripe, customer) and card_owner(localstripe, card_id)
    (job,) = delete_jobs()
    assert job.status == TaskResultStatus.READY

    run_jobs()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert card_owner(localstripe, card_id) is None  # detached
    assert not at_stripe(localstripe, customer)
    # The row stays for the books, pointing at the deleted customer.
    assert Customer.objects.get(pk=customer.pk).stripe_id == customer.stripe_id


def test_stripe_down_never_fails_the_close_and_the_job_is_retried_later(
    localstripe, member_with_card, run_jobs, settings
):
    member, customer = member_with_card
    settings.TASKS_RETRY_DELAY_S = 60
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert user_close(user=member).is_closed
    customer.refresh_from_db()
    assert customer.is_closed and not customer.has_card

    before = timezone.now()
    run_jobs()
    (job,) = delete_jobs()
    assert job.status == TaskResultStatus.READY and len(job.worker_ids) == 1
    assert before + datetime.timedelta(seconds=59) < job.run_after  # waits for its backoff
    assert "APIConnectionError" in job.traceback
    assert at_stripe(localstripe, customer)

    settings.STRIPE_API_BASE = localstripe.base  # Stripe is back; the retry comes due
    delete_jobs().update(run_after=timezone.now())
    run_jobs()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL and len(job.worker_ids) == 2
    assert not at_stripe(localstripe, customer)


def test_every_card_stripe_holds_is_detached_and_a_rerun_finds_the_customer_gone(
    localstripe, member_with_card
):
    member, customer = member_with_card
    recorded = customer.payment_method_id
    # A card saved at Stripe whose page never came back to us: Stripe lists it.
    intent = localstripe.confirm_setup(card_setup_start(user=member))
    unrecorded = intent["payment_method"]
    attach(localstripe, unrecorded, customer)
    user_close(user=member)

    assert customer_stripe_delete(customer_id=customer.pk, payment_method_id=recorded) is True
    assert card_owner(localstripe, recorded) is None
    assert card_owner(localstripe, unrecorded) is None
    assert not at_stripe(localstripe, customer)
    # A retry after an attempt that reached Stripe: nothing left to do, no error.
    assert customer_stripe_delete(customer_id=customer.pk) is True


def test_closing_twice_queues_one_deletion_and_a_member_without_a_customer_none(
    localstripe, member_with_card
):
    member, customer = member_with_card
    user_close(user=member)
    user_close(user=member)
    assert delete_jobs().count() == 1
    # A job for a customer that is not closed deletes nothing.
    open_one = save_card(localstripe, UserFactory())
    assert customer_stripe_delete(customer_id=open_one.pk) is False
    assert at_stripe(localstripe, open_one)

    user_close(user=UserFactory())  # never saved a card
    assert delete_jobs().count() == 1


def test_a_card_saved_while_the_account_closes_is_not_recorded(localstripe, member_with_card):
    member, customer = member_with_card
    secret = card_setup_start(user=member)
    intent = localstripe.confirm_setup(secret)
    user_close(user=member)
    with pytest.raises(ValidationError):
        card_setup_finish(user=member, setup_intent_id=intent["id"])
    customer.refresh_from_db()
    assert not customer.has_card


def test_the_close_page_says_the_card_goes_and_closing_there_queues_it(
    client, localstripe, member_with_card, settings
):
    member, customer = member_with_card
    client.force_login(member)
    page = client.get(reverse("accounts:account_close")).content.decode()
    assert "remove your saved card, here and at our payment processor, Stripe" in page
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # Stripe down: no matter
    response = client.post(reverse("accounts:account_close"), {"password": PASSWORD})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.is_closed and not customer.has_card
    assert delete_jobs().get().status == TaskResultStatus.READY
