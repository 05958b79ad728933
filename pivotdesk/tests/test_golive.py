"""`manage.py golive`: a ready configuration exits 0; every blocker alone makes it exit 1.

The ready configuration uses the real services: the Postgres test database, Redis, and an
S3 bucket on a local moto server. Settings-level blockers run in-process with one setting
changed; the database blockers and the environment-driven end-to-end run are processes
with a dyno's environment (a database cannot be swapped under a running process).
"""

import io
import re
import secrets
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import redis
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tasks_db.models import DBTaskResult
from moto.server import ThreadedMotoServer

from jobs.tasks import jobs_requeue_abandoned

from .support import (
    STRONG_SECRET_KEY,
    closed_port,
    manage,
    postgres_url,
    production_env,
    redis_url,
    scratch_database,
    smtp_mailers,
    smtp_server,
    with_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BUCKET = "pivotdesk-media-golive"
S3_BACKEND = "storages.backends.s3.S3Storage"
ROW = re.compile(r"^(?P<check>\S.*?)\s{2,}(?P<status>ok|WARNING|BLOCKER)\s+(?P<detail>.*)$")
ALL_CHECKS = {
    "Stripe keys",
    "Stripe webhook",
    "Stripe in a request",
    "CDN",
    "trusted proxies",
    "worker",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "HTTPS",
    "site URL",
    "database",
    "statement timeout",
    "cache",
    "media",
    "email",
    "Sentry",
    "Django checks",
    "workers",
    "gunicorn timeout",
    "beta gate",
}


def parse(stdout: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in stdout.splitlines()[1:]:
        if match := ROW.match(line):
            rows[match["check"]] = (match["status"], match["detail"])
    return rows


def blockers(rows) -> set[str]:
    return {check for check, (status, _) in rows.items() if status == "BLOCKER"}


@pytest.fixture(scope="module")
def services():
    if not postgres_url() or not redis_url():
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (CI does)")


@pytest.fixture(scope="module")
def s3(services):
    """A real S3 API on loopback (moto server mode) with the media bucket created."""
    port = closed_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    config = {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "golive-test",
        "AWS_SECRET_ACCESS_KEY": "golive-test-secret",
    }
    boto3.client(
        "s3",
        endpoint_url=config["AWS_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="golive-test",
        aws_secret_access_key="golive-test-secret",
    ).create_bucket(Bucket=BUCKET)
    yield config
    server.stop()


@pytest.fixture(scope="module")
def smtp():
    """A real SMTP server on loopback (aiosmtpd): golive connects to it as a send would."""
    with smtp_server() as server:
        yield server


# --- in-process: one setting changed from a ready configuration -------------------------


LIVE_STRIPE_KEYS = ("sk_live_golive", "pk_live_golive")


@pytest.fixture
def ready(db, settings, s3, smtp, monkeypatch):
    settings.DEBUG = False
    settings.SECRET_KEY = STRONG_SECRET_KEY
    settings.ALLOWED_HOSTS = ["pivotdesk.example"]
    settings.SITE_URL = "https://pivotdesk.example"
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    monkeypatch.setenv("TRUSTED_PROXY_IPS", "10.0.0.0/8")
    for name, value in s3.items():
        setattr(settings, name, value)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": S3_BACKEND}}
    settings.MAILERS = smtp_mailers(smtp.port, timeout=5)
    settings.DEFAULT_FROM_EMAIL = "PivotDesk <hello@pivotdesk.example.com>"
    settings.SENTRY_DSN = "https://public@o1.ingest.sentry.io/1"
    settings.SENTRY_RELEASE = "4f9c2a1"
    settings.BASIC_AUTH = ""
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = LIVE_STRIPE_KEYS
    settings.STRIPE_WEBHOOK_SECRET = "whsec_golive"
    settings.STRIPE_API_BASE = ""
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    worker_took_a_job_just_now()
    return settings


def worker_took_a_job_just_now() -> DBTaskResult:
    job = jobs_requeue_abandoned.enqueue().db_result
    job.claim("golive-test-worker")
    return job


def golive(*args: str) -> tuple[int, dict, str]:
    out = io.StringIO()
    try:
        call_command("golive", *args, stdout=out, no_color=True)
    except CommandError as exc:
        return exc.returncode, parse(out.getvalue()), str(exc)
    return 0, parse(out.getvalue()), ""


def test_ready_configuration_exits_0_with_every_row_ok(ready, smtp):
    code, rows, _ = golive()
    assert code == 0, rows
    assert set(rows) == ALL_CHECKS
    assert {status for status, _ in rows.values()} == {"ok"}, rows
    assert rows["media"] == ("ok", f"S3 bucket '{BUCKET}' answers")
    assert rows["statement timeout"] == ("ok", "5000 ms")
    assert rows["gunicorn timeout"][1].endswith("s")
    assert rows["email"] == (
        "ok",
        f"SMTP 127.0.0.1:{smtp.port} answers (plain, timeout 5 s), "
        "from hello@pivotdesk.example.com",
    )


def test_the_cdn_row_says_whether_purges_are_configured_and_how_the_last_went(ready):
    from cdn.tasks import cdn_purge

    assert golive()[1]["CDN"][0] == "ok"
    ready.CDN_PURGE = "varnish"
    ready.CDN_PURGE_URLS = ["http://127.0.0.1:9/"]  # nothing listens: the purge fails
    assert golive()[1]["CDN"] == ("ok", "varnish; no purge has run yet")
    job = cdn_purge.enqueue(tags=["home"], paths=["/"]).db_result
    job.claim("golive-test-worker")
    job.set_failed(ConnectionError("refused"))
    status, detail = golive()[1]["CDN"]
    assert status == "WARNING" and "last purge failed" in detail and "refused" in detail


def test_beta_gate_still_on_is_a_warning_not_a_blocker(ready):
    ready.BASIC_AUTH = "beta:tweet-proof"
    code, rows, _ = golive()
    assert code == 0
    assert rows["beta gate"] == (
        "WARNING",
        "on (BASIC_AUTH): turning it off is going live — scale first",
    )


def _set(**values):
    def change(settings, monkeypatch, tmp_path):
        for name, value in values.items():
            setattr(settings, name, value)
        return []

    return change


def _s3_bucket(name):
    def change(settings, monkeypatch, tmp_path):
        settings.AWS_STORAGE_BUCKET_NAME = name
        settings.STORAGES = {**settings.STORAGES}  # rebuild the storage with the new bucket
        return []

    return change


def _env(**values):
    def change(settings, monkeypatch, tmp_path):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return []

    return change


def _gunicorn(text):
    def change(settings, monkeypatch, tmp_path):
        conf = tmp_path / "gunicorn.conf.py"
        conf.write_text(text + 'forwarded_allow_ips = "10.0.0.0/8"\n')
        return ["--gunicorn-config", str(conf)]

    return change


def _statement_timeout(value):
    def change(settings, monkeypatch, tmp_path):
        # Inside the test's transaction: rolled back with it.
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {value}")
        return []

    return change


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CONSOLE_MAIL = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}


def _smtp(**options):
    """The ready configuration's SMTP mailer (the answering server) with ``options`` changed."""

    def change(settings, monkeypatch, tmp_path):
        ready = settings.MAILERS["default"]["OPTIONS"]
        settings.MAILERS = smtp_mailers(**{"port": ready["port"], "timeout": 5, **options})
        return []

    return change


def _dead_redis():
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        }
    }


IN_PROCESS_BLOCKERS = {
    "debug-on": (_set(DEBUG=True), "DEBUG"),
    "secret-key-short": (_set(SECRET_KEY="Zq8-v2Lx_93kPw0bNd7"), "SECRET_KEY"),
    "secret-key-few-characters": (_set(SECRET_KEY="ab12" * 20), "SECRET_KEY"),
    "secret-key-django-insecure": (
        _set(SECRET_KEY="django-insecure-" + secrets.token_urlsafe(48)),
        "SECRET_KEY",
    ),
    "secret-key-dev-default": (
        _set(SECRET_KEY="django-insecure-local-development-only-never-in-production"),
        "SECRET_KEY",
    ),
    "allowed-hosts-star": (_set(ALLOWED_HOSTS=["*"]), "ALLOWED_HOSTS"),
    # SITE_URL's host is then not allowed either: both rows name the problem.
    "allowed-hosts-empty": (_set(ALLOWED_HOSTS=[]), {"ALLOWED_HOSTS", "site URL"}),
    "allowed-hosts-local-only": (
        _set(ALLOWED_HOSTS=["localhost", "127.0.0.1"]),
        {"ALLOWED_HOSTS", "site URL"},
    ),
    "ssl-redirect-off": (_set(SECURE_SSL_REDIRECT=False), "HTTPS"),
    "hsts-off": (_set(SECURE_HSTS_SECONDS=0), "HTTPS"),
    "session-cookie-not-secure": (_set(SESSION_COOKIE_SECURE=False), "HTTPS"),
    "csrf-cookie-not-secure": (_set(CSRF_COOKIE_SECURE=False), "HTTPS"),
    "trusted-proxies-anyone": (_env(TRUSTED_PROXY_IPS="*"), "trusted proxies"),
    "trusted-proxies-loopback": (_env(TRUSTED_PROXY_IPS="127.0.0.1,::1"), "trusted proxies"),
    "site-url-laptop-default": (_set(SITE_URL="http://127.0.0.1:8000"), "site URL"),
    "site-url-plain-http": (_set(SITE_URL="http://pivotdesk.example"), "site URL"),
    "site-url-another-host": (_set(SITE_URL="https://pivotdesk.herokuapp.com"), "site URL"),
    "statement-timeout-at-router-limit": (_statement_timeout("'30s'"), "statement timeout"),
    "statement-timeout-off": (_statement_timeout(0), "statement timeout"),
    "cache-local-memory": (_set(CACHES=LOCMEM), "cache"),
    "cache-unreachable": (lambda s, m, t: _set(CACHES=_dead_redis())(s, m, t), "cache"),
    "media-on-disk": (
        _set(
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {
                    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
                },
            }
        ),
        "media",
    ),
    "media-bucket-missing": (_s3_bucket("no-such-bucket"), "media"),
    # Settings silence Django's own mail.E001 when mail goes to the log (the beta's way).
    "email-to-the-log": (_set(MAILERS=CONSOLE_MAIL, SILENCED_SYSTEM_CHECKS=["mail.E001"]), "email"),
    "email-server-unreachable": (_smtp(port=closed_port()), "email"),
    "email-without-timeout": (_smtp(timeout=None), "email"),
    "email-timeout-too-long": (_smtp(timeout=30), "email"),
    "email-from-the-laptop-default": (
        _set(DEFAULT_FROM_EMAIL="PivotDesk <hello@pivotdesk.test>"),
        "email",
    ),
    "email-from-localhost": (_set(DEFAULT_FROM_EMAIL="webmaster@localhost"), "email"),
    "email-from-nobody": (_set(DEFAULT_FROM_EMAIL="PivotDesk"), "email"),
    "sentry-off": (_set(SENTRY_DSN=""), "Sentry"),
    "stripe-keys-missing": (_set(STRIPE_SECRET_KEY=""), "Stripe keys"),
    "stripe-test-keys": (_set(STRIPE_SECRET_KEY="sk_test_golive"), "Stripe keys"),
    "stripe-fake-server": (_set(STRIPE_API_BASE="http://127.0.0.1:8420"), "Stripe keys"),
    "stripe-webhook-secret-unset": (_set(STRIPE_WEBHOOK_SECRET=""), "Stripe webhook"),
    "stripe-request-budget-at-router-limit": (
        _set(STRIPE_REQUEST_BUDGET_S=30),
        "Stripe in a request",
    ),
    "sentry-dsn-invalid": (_set(SENTRY_DSN="not-a-dsn"), "Sentry"),
    "django-check-error": (_set(CSRF_FAILURE_VIEW="pivotdesk.no_such_view"), "Django checks"),
    "one-worker": (_env(WEB_CONCURRENCY="1"), "workers"),
    # gunicorn.conf.py reads WEB_CONCURRENCY too, and cannot load: gunicorn would not start.
    "workers-not-a-number": (
        _env(WEB_CONCURRENCY="lots"),
        {"workers", "gunicorn timeout", "trusted proxies"},
    ),
    "gunicorn-timeout-at-router-limit": (_gunicorn("timeout = 30\n"), "gunicorn timeout"),
    "gunicorn-timeout-missing": (_gunicorn("workers = 3\n"), "gunicorn timeout"),
}


@pytest.mark.parametrize("name", list(IN_PROCESS_BLOCKERS))
def test_each_blocker_alone_exits_1(ready, monkeypatch, tmp_path, name):
    change, expected = IN_PROCESS_BLOCKERS[name]
    args = change(ready, monkeypatch, tmp_path)
    code, rows, error = golive(*args)
    assert code == 1, rows
    expected = {expected} if isinstance(expected, str) else expected
    assert blockers(rows) == expected, rows
    assert error.startswith(f"Not ready to go live: {len(expected)} blocker(s)")


def test_unreadable_gunicorn_config_blocks(ready, tmp_path):
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text("timeout = (\n")
    code, rows, _ = golive("--gunicorn-config", str(conf))
    assert code == 1
    assert blockers(rows) == {"workers", "gunicorn timeout", "trusted proxies"}
    assert "SyntaxError" in rows["gunicorn timeout"][1]


# --- processes: a dyno's environment, and the database blockers --------------------------


@pytest.fixture(scope="module")
def empty_database(services):
    """A database with no tables: every migration unapplied."""
    with scratch_database("pd_golive_empty") as url:
        yield url


@pytest.fixture(scope="module")
def process_runs(services, s3, smtp, empty_database, django_db_setup, django_db_blocker):
    """golive as `heroku run python manage.py golive` runs it; the runs go side by side."""
    ready_env = production_env(
        # pytest's test database: migrated, like production after the release phase.
        DATABASE_URL=with_database(postgres_url(), connection.settings_dict["NAME"]),
        REDIS_URL=redis_url(),
        SITE_URL="https://pivotdesk.example",
        CACHE_KEY_PREFIX=f"golive-{secrets.token_hex(4)}",
        SENTRY_DSN=f"http://public@127.0.0.1:{closed_port()}/1",
        SENTRY_RELEASE="golive-test",
        WEB_CONCURRENCY="3",
        TRUSTED_PROXY_IPS="10.0.0.0/8",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        DEFAULT_FROM_EMAIL="PivotDesk <hello@pivotdesk.example.com>",
        STRIPE_SECRET_KEY=LIVE_STRIPE_KEYS[0],
        STRIPE_PUBLISHABLE_KEY=LIVE_STRIPE_KEYS[1],
        STRIPE_WEBHOOK_SECRET="whsec_golive",
        **s3,
    )
    dead = f"postgres://pivotdesk@127.0.0.1:{closed_port()}/pivotdesk"
    jobs = {
        "ready": ready_env,
        "database-sqlite": {k: v for k, v in ready_env.items() if k != "DATABASE_URL"},
        "database-unreachable": ready_env | {"DATABASE_URL": dead},
        "migrations-unapplied": ready_env | {"DATABASE_URL": empty_database},
    }
    with django_db_blocker.unblock():
        taken = worker_took_a_job_just_now()  # committed: the subprocesses see it
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {
                name: pool.submit(manage, "golive", env=env, timeout=60)
                for name, env in jobs.items()
            }
            return {name: future.result() for name, future in futures.items()}
    finally:
        with django_db_blocker.unblock():
            taken.delete()


@pytest.mark.slow
@pytest.mark.django_db
def test_ready_environment_goes_live_end_to_end(process_runs):
    result = process_runs["ready"]
    assert result.returncode == 0, result.stdout + result.stderr
    rows = parse(result.stdout)
    assert set(rows) == ALL_CHECKS
    assert {status for status, _ in rows.values()} == {"ok"}, rows
    assert "Ready to go live." in result.stdout


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, expected",
    [
        ("database-sqlite", {"database", "statement timeout"}),
        # Django's model checks ask the database too (generated columns): a row, not a crash.
        ("database-unreachable", {"database", "statement timeout", "Django checks"}),
        ("migrations-unapplied", {"database"}),
    ],
)
def test_database_blockers_exit_1(process_runs, name, expected):
    result = process_runs[name]
    assert result.returncode == 1, result.stdout + result.stderr
    assert blockers(parse(result.stdout)) == expected, result.stdout
    assert "Not ready to go live" in result.stderr


@pytest.fixture
def redis_memory_config(services):
    """The machine's Redis with its memory settings put back afterwards (they are global)."""
    client = redis.Redis.from_url(redis_url())
    before = {**client.config_get("maxmemory"), **client.config_get("maxmemory-policy")}
    yield client
    client.config_set("maxmemory", before["maxmemory"])
    client.config_set("maxmemory-policy", before["maxmemory-policy"])


def test_a_redis_that_evicts_nothing_when_full_blocks(ready, redis_memory_config):
    # Heroku Redis starts with noeviction: once full, every write fails (docs/DEPLOY.md).
    redis_memory_config.config_set("maxmemory", 512 * 2**20)
    redis_memory_config.config_set("maxmemory-policy", "noeviction")
    code, rows, error = golive()
    assert code == 1 and blockers(rows) == {"cache"}, rows
    assert "(noeviction, 512 MB)" in rows["cache"][1]
    assert "--policy volatile-lru" in rows["cache"][1]
    for policy in ("volatile-lru", "allkeys-lru"):
        redis_memory_config.config_set("maxmemory-policy", policy)
        code, rows, _ = golive()
        assert code == 0 and rows["cache"] == ("ok", f"Redis answers; {policy} at 512 MB")
    redis_memory_config.config_set("maxmemory", 0)  # no limit: nothing to evict
    assert golive()[1]["cache"] == ("ok", "Redis answers; no memory limit")
