"""Real workers (``manage.py db_worker`` processes, as the Procfile starts them) against the
Postgres test database and a real SMTP server (aiosmtpd): emails are delivered once, whatever
happens to the transaction, the mail server or the worker."""

import asyncio
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.emails import booking_email_send
from bookings.tests.factories import BookingFactory
from jobs.services import jobs_requeue_abandoned
from pivotdesk.tests.support import (
    BASE_DIR,
    closed_port,
    free_port,
    postgres_url,
    production_env,
    with_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def committed(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process shares only a PostgreSQL test database: set DATABASE_URL")


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


class Smtp:
    """aiosmtpd on a loopback port, counting what it accepted. ``hold_at=n``: the n-th
    message's DATA is held unanswered (a worker is then mid-send) until ``release()``, and
    refused after, so the server never took it."""

    def __init__(self, port: int | None = None, hold_at: int | None = None):
        self.port = port or free_port()
        self.received = []
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.released = threading.Event()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        if self.hold_at and len(self.received) + 1 == self.hold_at and not self.holding.is_set():
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"
        self.received.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def release(self):
        self.released.set()

    def recipients(self) -> list[str]:
        return sorted(m["To"] for m in self.received)


@contextmanager
def smtp(**kwargs):
    server = Smtp(**kwargs)
    server.controller.start()
    try:
        yield server
    finally:
        server.release()
        server.controller.stop()


@contextmanager
def worker(smtp_port: int, tmp_path, **env: str):
    """``manage.py db_worker`` with a dyno's environment, on the test database."""
    log = open(tmp_path / f"worker-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
         "--interval", "0.1"],
        cwd=BASE_DIR,
        env=production_env(
            DATABASE_URL=with_database(postgres_url(), connection.settings_dict["NAME"]),
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            DEFAULT_FROM_EMAIL="PivotDesk <hello@pivotdesk.example.com>",
            **env,
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


def approvals(count: int) -> list:
    """``count`` requests, each approved by its host: one "Approved" email per guest."""
    approved = []
    for _ in range(count):
        booking = BookingFactory()
        approved.append(services.booking_approve(booking=booking, host=booking.listing.host))
    return approved


def test_a_committed_request_is_delivered_exactly_once(committed, client, tmp_path):
    booking = BookingFactory()
    client.force_login(booking.listing.host)
    with smtp() as server, worker(server.port, tmp_path):
        response = client.post(f"/bookings/{booking.pk}/approve/")
        assert response.status_code == 302
        wait_for(lambda: len(server.received) == 1, timeout=30, what="the approval email")
        time.sleep(1)  # a second delivery would come now
    assert server.recipients() == [booking.guest.email]
    assert server.received[0]["Subject"].startswith("Approved")


def test_a_rolled_back_request_queues_no_job_and_mails_no_one(committed, tmp_path):
    booking = BookingFactory()

    class Abort(Exception):
        pass

    with smtp() as server, worker(server.port, tmp_path):
        with pytest.raises(Abort), transaction.atomic():
            services.booking_approve(booking=booking, host=booking.listing.host)
            raise Abort
        approvals(1)  # a committed one after it, to know the worker has looked
        wait_for(lambda: len(server.received) == 1, timeout=30, what="the committed email")
        time.sleep(0.5)
    assert booking.guest.email not in server.recipients()
    assert not DBTaskResult.objects.filter(args_kwargs__kwargs__booking_id=booking.pk).exists()


def test_refused_by_the_mail_server_then_delivered_once_when_it_is_back(committed, tmp_path):
    port = closed_port()
    with worker(port, tmp_path, TASKS_RETRY_DELAY_S="0.5"):
        [booking] = approvals(1)
        job = DBTaskResult.objects.get(task_path=booking_email_send.module_path)
        wait_for(
            lambda: "ConnectionRefusedError" in DBTaskResult.objects.get(pk=job.pk).traceback,
            timeout=30,
            what="a refused attempt",
        )
        with smtp(port=port) as server:
            wait_for(lambda: len(server.received) == 1, timeout=30, what="the retried email")
            time.sleep(1)
    assert server.recipients() == [booking.guest.email]
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL and len(job.worker_ids) >= 2


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    committed, settings, tmp_path
):
    batch, killed_at = 20, 8
    guests = sorted(b.guest.email for b in approvals(batch))
    with smtp(hold_at=killed_at) as server:
        with worker(server.port, tmp_path, EMAIL_TIMEOUT="30") as first:
            wait_for(server.holding.is_set, timeout=60, what="the worker mid-send")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        server.release()
        assert len(server.received) == killed_at - 1
        [lost] = DBTaskResult.objects.running()  # its worker is gone

        # What the clock's every-minute job does, once the job has been running too long.
        settings.TASKS_ABANDONED_AFTER_S = 0
        assert jobs_requeue_abandoned() == 1

        with worker(server.port, tmp_path):
            wait_for(lambda: len(server.received) >= batch, timeout=60, what="every email")
            time.sleep(1)  # a duplicate would come now
    assert server.recipients() == guests  # each guest once
    statuses = set(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == {TaskResultStatus.SUCCESSFUL}
    assert len(DBTaskResult.objects.get(pk=lost.pk).worker_ids) == 2


def test_a_poisoned_job_stops_after_its_retries_and_shows_in_admin(committed, client, tmp_path):
    booking = BookingFactory()
    poisoned = booking_email_send.enqueue(booking_id=booking.pk, kind="nope", to="host")
    with (
        smtp() as server,
        worker(server.port, tmp_path, TASKS_MAX_ATTEMPTS="3", TASKS_RETRY_DELAY_S="0.1"),
    ):
        wait_for(
            lambda: DBTaskResult.objects.get(pk=poisoned.id).status == "FAILED",
            timeout=30,
            what="the job to give up",
        )
        time.sleep(1)  # no further attempt comes
    job = DBTaskResult.objects.get(pk=poisoned.id)
    assert job.status == TaskResultStatus.FAILED and len(job.worker_ids) == 3
    assert server.received == []

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    html = client.get(changelist + "?status__exact=FAILED").content.decode()
    assert "booking_email_send" in html and "is not a valid EmailKind" in html
    client.post(changelist, {"action": "retry_selected", "_selected_action": [job.pk]})
    assert DBTaskResult.objects.get(pk=job.pk).status == TaskResultStatus.READY
