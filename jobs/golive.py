"""golive's mail rows: the mailer must deliver, and the worker that sends every email must be
taking jobs and keeping up."""

from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.checks.mail import NON_PRODUCTION_EMAIL_BACKENDS
from django.core.mail import mailers
from django.utils import timezone

from pivotdesk.readiness import BLOCKER, OK, WARNING, Row, ago, short

from .selectors import queue_health

# The clock enqueues a job every minute (jobs.tasks), so a live worker takes one that often.
WORKER_SILENT_AFTER = timedelta(minutes=5)
QUEUE_BEHIND_AFTER = timedelta(minutes=5)
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Emails are jobs: a mail server that hangs holds a worker this long per email.
MAIL_TIMEOUT_MAX_S = 10
# Reserved names (RFC 2606/6761): mail "from" them is refused or lost by every provider.
RESERVED_DOMAINS = (".test", ".example", ".invalid", ".localhost", ".local")


def check_email() -> Row:
    """The default mailer must deliver; for SMTP, connect and log in as a send would."""
    config = settings.MAILERS["default"]
    backend = config.get("BACKEND", SMTP_BACKEND)
    name = backend.rsplit(".", 2)[-2]
    if backend in NON_PRODUCTION_EMAIL_BACKENDS:
        fix = "set EMAIL_URL=smtp+tls://user:password@host:587"
        return Row(
            "email", BLOCKER, f"{name}: mail never leaves (no booking mail, no reset); {fix}"
        )
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    local, at, domain = sender.lower().rpartition("@")
    if not (local and at and "." in domain) or f".{domain}".endswith(RESERVED_DOMAINS):
        fix = "set DEFAULT_FROM_EMAIL to an address on your domain"
        return Row("email", BLOCKER, f"sender {sender or '(none)'!r} is not a real address; {fix}")
    if backend != SMTP_BACKEND:
        return Row("email", OK, f"{backend} (not probed)")
    options = config.get("OPTIONS", {})
    server = f"{options.get('host', 'localhost')}:{options.get('port', 25)}"
    timeout = options.get("timeout")
    if timeout is None or timeout > MAIL_TIMEOUT_MAX_S:
        fix = f"set EMAIL_TIMEOUT to at most {MAIL_TIMEOUT_MAX_S} s"
        return Row("email", BLOCKER, f"SMTP {server} with timeout {timeout}; {fix}")
    try:
        with mailers.default:  # connects, says hello, starts TLS and logs in as configured
            pass
    except Exception as exc:
        return Row("email", BLOCKER, f"SMTP {server}: {short(exc)}")
    security = "SSL" if options.get("use_ssl") else "TLS" if options.get("use_tls") else "plain"
    detail = f"SMTP {server} answers ({security}, timeout {timeout} s), from {sender}"
    return Row("email", OK, detail)


def check_worker() -> Row:
    try:
        health = queue_health()
    except Exception as exc:  # the database row says why, as a blocker
        return Row("worker", WARNING, f"queue unreadable: {short(exc)}")
    scale = "heroku ps:scale worker=1 clock=1"
    if health.last_started_at is None or (
        timezone.now() - health.last_started_at > WORKER_SILENT_AFTER
    ):
        last = ago(health.last_started_at) if health.last_started_at else "never"
        return Row(
            "worker",
            BLOCKER,
            f"no worker has taken a job ({last}): emails are not going out; {scale}",
        )
    detail = f"took a job {ago(health.last_started_at)}; {health.waiting} waiting"
    if health.oldest_waiting_since:
        detail += f", oldest since {ago(health.oldest_waiting_since)}"
        if timezone.now() - health.oldest_waiting_since > QUEUE_BEHIND_AFTER:
            return Row("worker", BLOCKER, f"{detail}: behind; heroku ps:scale worker=2")
    if health.failed:
        return Row(
            "worker", WARNING, f"{detail}; {health.failed} failed job(s): see /admin/, retry"
        )
    return Row("worker", OK, detail)


def golive_rows() -> list[Row]:
    return [check_email(), check_worker()]
