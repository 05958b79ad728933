"""The background-work drill: emails leave the request, and the worker delivers each once.

    DATABASE_URL=postgres://…/scratch python loadtest/jobs_drill.py [hung] [kill] [drain]

Needs an empty, migrated Postgres database of its own (it writes bookings). Everything runs
on 127.0.0.1: a mail port that accepts and never answers, a real SMTP server (aiosmtpd) that
counts what it took, and real `manage.py db_worker` processes.

- hung: with the mail server hanging, a guest's request (POST /spaces/<city>/<slug>/book/)
  and a host's approval in /host/ (the approve button), through Django's full middleware
  stack in this process: p50/p95/max; then the mail server answers and every email arrives.
- kill: a worker SIGKILLed at a random moment of a batch, ten times; after the abandoned
  job is made ready again, every email arrives, none twice.
- drain: 1,000 bookings, 1,000 emails, drained by one worker.
"""

import datetime
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pivotdesk.settings.base")
os.environ.setdefault("SECRET_KEY", "jobs-drill-" + "x" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from accounts.tests.factories import UserFactory  # noqa: E402
from bookings import services  # noqa: E402
from bookings.tests.factories import BookingFactory  # noqa: E402
from jobs.models import Effect  # noqa: E402
from jobs.services import jobs_requeue_abandoned  # noqa: E402
from listings.tests.factories import ListingFactory  # noqa: E402
from pivotdesk.tests.support import free_port, smtp_server  # noqa: E402

assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "set DATABASE_URL"
# Thousands of drill accounts: hash their passwords fast (as the tests do).
override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]).enable()


def reset():
    DBTaskResult.objects.all().delete()
    Effect.objects.all().delete()


def worker(port: int, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
         "--interval", "0.1", "-v0"],
        cwd=BASE_DIR,
        env={**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{port}", "LOG_LEVEL": "ERROR", **env},
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def wait_for(predicate, timeout: float) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise TimeoutError
        time.sleep(0.02)
    return time.monotonic() - started


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class MailPort:
    """A loopback mail port that first accepts connections and never answers (a hung mail
    server), then, after ``answer(port)``, passes every connection to a real SMTP server."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", free_port()))
        self.port = self.listener.getsockname()[1]
        self.held = []
        self.upstream = None
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn = self.listener.accept()[0]
            if self.upstream is None:
                self.held.append(conn)
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            for a, b in ((conn, server), (server, conn)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def answer(self, upstream: int):
        self.upstream = upstream
        for conn in self.held:  # the senders waiting on the hung server see it drop
            conn.close()


def hung(n: int = 50):
    reset()
    mail = MailPort()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": mail.port, "timeout": 5},
        }
    }
    listing = ListingFactory(desks=1000)
    guest_times, host_times = [], []
    start = timezone.localdate() + datetime.timedelta(days=14)
    for _ in range(n):
        guest = UserFactory()
        client = Client()
        client.force_login(guest)
        url = f"{listing.get_absolute_url()}book/"
        t = time.perf_counter()
        response = client.post(url, {"desks": 1, "start": start.isoformat(), "months": 1})
        guest_times.append(time.perf_counter() - t)
        assert response.status_code == 302, response.status_code
    host = Client()
    listing.host.is_staff = listing.host.is_host = True
    listing.host.save()
    from accounts.services import host_enable

    host_enable(user=listing.host)
    host.force_login(listing.host)
    for booking in listing.bookings.filter(status="requested"):
        t = time.perf_counter()
        response = host.post(f"/host/bookings/booking/{booking.pk}/approve/")
        host_times.append(time.perf_counter() - t)
        assert response.status_code == 302, response.status_code
    ms = [1000 * x for x in guest_times], [1000 * x for x in host_times]
    for name, values in zip(("guest request", "host approval (/host/)"), ms, strict=True):
        print(
            f"hung mail server: {name}: n={len(values)} p50={statistics.median(values):.0f} ms "
            f"p95={pct(values, 95):.0f} ms max={max(values):.0f} ms"
        )
    print(f"hung mail server: connections opened by requests: {len(mail.held)}")
    expected = DBTaskResult.objects.count()
    # The worker meets the hanging server (5 s timeouts, retried), then the server answers.
    proc = worker(mail.port, TASKS_RETRY_DELAY_S="1")
    time.sleep(8)
    with smtp_server() as smtp:
        mail.answer(smtp.port)
        took = wait_for(lambda: len(smtp.received) >= expected, timeout=300)
        time.sleep(2)
        stop(proc)
    keys = Counter(
        (m["To"], m["Subject"], m.get_body(("plain",)).get_content()) for m in smtp.received
    )
    print(
        f"hung mail server: then answering: {len(smtp.received)} of {expected} emails "
        f"delivered {took:.1f} s later, duplicates: {sum(c - 1 for c in keys.values())}"
    )


def approvals(count: int) -> set[str]:
    """``count`` requests on one roomy listing, each approved: one email per guest."""
    listing = ListingFactory(desks=count)
    guests = set()
    for _ in range(count):
        booking = BookingFactory(listing=listing, guest=UserFactory())
        services.booking_approve(booking=booking, host=listing.host)
        guests.add(booking.guest.email)
    return guests


def kill(rounds: int = 10, batch: int = 200):
    for round_ in range(rounds):
        reset()
        guests = approvals(batch)
        with smtp_server() as smtp:
            first = worker(smtp.port)
            wait_for(lambda: len(smtp.received) >= 5, timeout=120)  # it is sending
            time.sleep(random.uniform(0, 1))  # a moment unrelated to any one email
            first.send_signal(signal.SIGKILL)
            first.wait()
            at = len(smtp.received)
            settings.TASKS_ABANDONED_AFTER_S = 0  # what the clock's every-minute job does
            requeued = jobs_requeue_abandoned()
            second = worker(smtp.port)
            wait_for(lambda: len(smtp.received) >= batch, timeout=300)
            time.sleep(2)
            stop(second)
        counts = Counter(m["To"] for m in smtp.received)
        ids = Counter(m["Message-ID"] for m in smtp.received)
        print(
            f"SIGKILL round {round_ + 1}: killed after {at} of {batch} emails, {requeued} "
            f"abandoned job(s) made ready; delivered {len(counts)} of {len(guests)} guests, "
            f"duplicates: {sum(c - 1 for c in counts.values())} "
            f"(distinct Message-IDs: {len(ids)})"
        )


def drain(count: int = 1000):
    reset()
    listings = [ListingFactory(desks=count) for _ in range(10)]
    start = timezone.localdate() + datetime.timedelta(days=14)
    t = time.perf_counter()
    for i in range(count):
        guest = UserFactory()
        services.booking_request(
            guest=guest, listing=listings[i % 10], desks=1, start=start, months=1
        )
    print(f"drain: {count} bookings (one email job each) made in {time.perf_counter() - t:.1f} s")
    with smtp_server() as smtp:
        proc = worker(smtp.port)
        took = wait_for(lambda: len(smtp.received) >= count, timeout=600)
        stop(proc)
    print(
        f"drain: {len(smtp.received)} emails drained by one worker in {took:.1f} s "
        f"({count / took:.0f}/s, worker start included)"
    )


if __name__ == "__main__":
    which = set(sys.argv[1:]) or {"all"}
    for name, drill in (("hung", hung), ("kill", kill), ("drain", drain)):
        if which & {name, "all"}:
            drill()
