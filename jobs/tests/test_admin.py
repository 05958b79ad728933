"""Operators read the queue in /admin/ and retry a job that gave up."""

import pytest
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from jobs.models import Effect

from .test_services import poisoned_job

pytestmark = pytest.mark.django_db


def test_a_job_that_gave_up_shows_in_admin_with_its_error_and_can_be_retried(
    operator_client, settings, run_jobs
):
    settings.TASKS_MAX_ATTEMPTS = 2
    settings.TASKS_RETRY_DELAY_S = 0
    job = poisoned_job()
    run_jobs()

    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    html = operator_client.get(changelist + "?status__exact=FAILED").content.decode()
    assert "booking_email_send" in html
    assert "ValueError: &#x27;nope&#x27; is not a valid EmailKind" in html
    assert '<td class="field-attempts">2</td>' in html
    page = operator_client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[job.pk])
    )
    assert "Traceback" in page.content.decode()

    response = operator_client.post(
        changelist, {"action": "retry_selected", "_selected_action": [job.pk]}, follow=True
    )
    assert "1 job(s) will run again." in response.content.decode()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.READY


def test_retrying_a_job_that_did_not_fail_says_so(operator_client):
    job = poisoned_job()
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    response = operator_client.post(
        changelist, {"action": "retry_selected", "_selected_action": [job.pk]}, follow=True
    )
    assert "Only a failed job can be retried." in response.content.decode()
    assert DBTaskResult.objects.get(pk=job.pk).status == TaskResultStatus.READY


def test_jobs_and_effects_are_read_only_and_for_operators_only(operator_client, client):
    Effect.objects.create(key="welcome:user:1")
    assert operator_client.get(reverse("admin:jobs_effect_changelist")).status_code == 200
    assert operator_client.get(reverse("admin:jobs_effect_add")).status_code == 403
    host = UserFactory(is_staff=True, is_host=True)
    client.force_login(host)
    response = client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert response.status_code == 302  # to the operators' login
