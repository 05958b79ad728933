"""`python manage.py golive`: is this configuration ready for the public? Exit 1 if not.
Run it on the platform before taking the beta gate off; every BLOCKER row must be fixed.
The project's own rows are here; apps add theirs (pivotdesk/readiness.py)."""

import importlib.util
import os
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http.request import validate_host
from sentry_sdk.utils import BadDsn, Dsn

from pivotdesk.health import cache_ok
from pivotdesk.readiness import BLOCKER, OK, ROUTER_TIMEOUT_S, WARNING, Row, app_rows, short

DEV_SECRET_KEY = "django-insecure-local-development-only-never-in-production"
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT = 10
WEAK_SECRET_WORDS = ("insecure", "not-for-production", "changeme", "change-me", "example")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
S3_BACKEND = "storages.backends.s3.S3Storage"
GATE_WARNING = "turning it off is going live — scale first"
# A full Redis must make room: volatile-* keeps the content version (no TTL), allkeys-* may not.
EVICTING_POLICIES = ("volatile-", "allkeys-")
EVICTION_FIX = "heroku redis:maxmemory REDIS_URL --policy volatile-lru"


def check_debug() -> Row:
    if settings.DEBUG:
        return Row("DEBUG", BLOCKER, "on: tracebacks and settings leak to visitors; unset DEBUG")
    return Row("DEBUG", OK, "off")


def check_secret_key() -> Row:
    key = settings.SECRET_KEY
    problems = []
    if len(key) < SECRET_KEY_MIN_LENGTH:
        problems.append(f"{len(key)} characters (need {SECRET_KEY_MIN_LENGTH}+)")
    if len(set(key)) < SECRET_KEY_MIN_DISTINCT:
        problems.append(f"{len(set(key))} distinct characters (need {SECRET_KEY_MIN_DISTINCT}+)")
    if key == DEV_SECRET_KEY or key.startswith("django-insecure"):
        problems.append("the development key")
    elif any(word in key.lower() for word in WEAK_SECRET_WORDS):
        problems.append("looks like a placeholder")
    if problems:
        return Row("SECRET_KEY", BLOCKER, "weak: " + "; ".join(problems))
    return Row("SECRET_KEY", OK, f"{len(key)} characters, {len(set(key))} distinct")


def check_allowed_hosts() -> Row:
    hosts = settings.ALLOWED_HOSTS
    if not hosts:
        return Row("ALLOWED_HOSTS", BLOCKER, "empty: every request would be refused")
    if "*" in hosts:
        return Row("ALLOWED_HOSTS", BLOCKER, "'*' accepts any Host header; name the domains")
    if set(hosts) <= LOCAL_HOSTS:
        return Row("ALLOWED_HOSTS", BLOCKER, "only local hosts: set the app's domain(s)")
    return Row("ALLOWED_HOSTS", OK, ", ".join(hosts))


def check_https() -> Row:
    names = ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE")
    missing = [n for n in (*names, "CSRF_COOKIE_SECURE") if not getattr(settings, n) > 0]
    if missing:
        return Row("HTTPS", BLOCKER, "off: " + ", ".join(missing))
    return Row("HTTPS", OK, f"redirect, HSTS {settings.SECURE_HSTS_SECONDS}s, secure cookies")


def check_site_url() -> Row:
    """SITE_URL makes every link that leaves the request (canonical tags, sitemap, emails)."""
    url = settings.SITE_URL
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return Row("site URL", BLOCKER, f"{url}: set SITE_URL=https://<the public domain>")
    if not validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        return Row("site URL", BLOCKER, f"{url}: its host is not in ALLOWED_HOSTS")
    return Row("site URL", OK, url)


def check_database() -> Row:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return Row(
            "database", BLOCKER, f"{connection.vendor}: set DATABASE_URL (heroku-postgresql)"
        )
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return Row("database", BLOCKER, f"unreachable: {short(exc)}")
    if plan:
        first = f"{plan[0][0].app_label}.{plan[0][0].name}"
        return Row("database", BLOCKER, f"{len(plan)} unapplied migration(s), first {first}")
    return Row("database", OK, f"PostgreSQL {connection.pg_version // 10000}, migrations applied")


def check_cache() -> Row:
    backend = settings.CACHES["default"]["BACKEND"]
    if not backend.startswith("django_redis."):
        detail = f"{backend.rsplit('.', 1)[-1]}: per-process, no shared page cache; set REDIS_URL"
        return Row("cache", BLOCKER, detail)
    if not cache_ok():
        return Row("cache", BLOCKER, "Redis does not answer (a set/get round trip failed)")
    try:
        limit, policy = redis_memory()
    except Exception as exc:  # a managed Redis may refuse INFO
        return Row("cache", WARNING, f"eviction policy unread ({short(exc)}): {EVICTION_FIX}")
    if limit and not policy.startswith(EVICTING_POLICIES):
        full = f"Redis evicts nothing when full ({policy}, {limit // 2**20} MB)"
        return Row("cache", BLOCKER, f"{full}: writes would fail; {EVICTION_FIX}")
    held = f"{policy} at {limit // 2**20} MB" if limit else "no memory limit"
    return Row("cache", OK, f"Redis answers; {held}")


def redis_memory() -> tuple[int, str]:
    """(maxmemory, 0 for none; maxmemory-policy) from INFO (Heroku refuses CONFIG GET)."""
    from django_redis import get_redis_connection

    info = get_redis_connection("default").info("memory")
    return int(info.get("maxmemory", 0)), str(info.get("maxmemory_policy", "unknown"))


def check_media() -> Row:
    backend = settings.STORAGES["default"]["BACKEND"]
    if backend != S3_BACKEND:
        detail = "on the dyno's disk, lost on every restart: set AWS_STORAGE_BUCKET_NAME"
        return Row("media", BLOCKER, detail)
    from django.core.files.storage import storages

    storage = storages["default"]  # its client, with the S3 timeouts in settings
    client = storage.connection.meta.client
    try:
        client.head_bucket(Bucket=storage.bucket_name)
    except Exception as exc:
        return Row("media", BLOCKER, f"bucket {storage.bucket_name!r}: {short(exc)}")
    return Row("media", OK, f"S3 bucket {storage.bucket_name!r} answers")


def check_sentry() -> Row:
    # Settings start the SDK whenever SENTRY_DSN is set (pivotdesk/sentry.py).
    if not settings.SENTRY_DSN:
        return Row("Sentry", BLOCKER, "off: errors would go unseen; set SENTRY_DSN")
    try:
        Dsn(settings.SENTRY_DSN)
    except BadDsn as exc:
        return Row("Sentry", BLOCKER, f"SENTRY_DSN is not a valid DSN: {exc}")
    release = settings.SENTRY_RELEASE or "no release (set SENTRY_RELEASE)"
    return Row("Sentry", OK, f"environment {settings.SENTRY_ENVIRONMENT}, release {release}")


def load_gunicorn_config(path: Path):
    spec = importlib.util.spec_from_file_location("_golive_gunicorn_conf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_workers(conf) -> Row:
    raw = os.environ.get("WEB_CONCURRENCY")
    source = "WEB_CONCURRENCY"
    if raw is None:
        raw, source = getattr(conf, "workers", None), "gunicorn.conf.py workers"
    try:
        workers = int(raw)
    except (TypeError, ValueError):
        return Row("workers", BLOCKER, f"{source}={raw!r} is not a number")
    if workers < 2:
        detail = f"{source}={workers}: one slow request blocks the dyno; use 2 or more"
        return Row("workers", BLOCKER, detail)
    return Row("workers", OK, f"{source}={workers}")


def check_trusted_proxies(conf) -> Row:
    """Only the router may say a request was HTTPS (gunicorn's forwarded_allow_ips)."""
    allowed = str(getattr(conf, "forwarded_allow_ips", "*"))
    if "*" in allowed:
        return Row("trusted proxies", BLOCKER, "'*': any client could claim HTTPS; name them")
    if {ip.strip() for ip in allowed.split(",")} <= {"127.0.0.1", "::1"}:
        detail = "loopback only: HTTPS from the router would be unseen; set TRUSTED_PROXY_IPS"
        return Row("trusted proxies", BLOCKER, detail)
    return Row("trusted proxies", OK, allowed)


def check_gunicorn_timeout(conf) -> Row:
    timeout = getattr(conf, "timeout", None)
    if timeout is None:
        return Row("gunicorn timeout", BLOCKER, "not in gunicorn.conf.py (default: 30 s)")
    if not 0 < timeout < ROUTER_TIMEOUT_S:
        detail = f"{timeout} s: must be below the router's {ROUTER_TIMEOUT_S} s"
        return Row("gunicorn timeout", BLOCKER, detail)
    return Row("gunicorn timeout", OK, f"{timeout} s")


def check_statement_timeout() -> Row:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return Row("statement timeout", BLOCKER, "no statement_timeout outside PostgreSQL")
    try:
        with connection.cursor() as cursor:
            # pg_settings gives it in milliseconds, whatever unit it was set in.
            cursor.execute("SELECT setting::int FROM pg_settings WHERE name = 'statement_timeout'")
            ms = cursor.fetchone()[0]
    except Exception as exc:
        return Row("statement timeout", BLOCKER, f"database unreachable: {short(exc)}")
    if not 0 < ms < ROUTER_TIMEOUT_S * 1000:
        detail = f"{ms} ms: set DB_STATEMENT_TIMEOUT_MS below the router's {ROUTER_TIMEOUT_S} s"
        return Row("statement timeout", BLOCKER, detail)
    return Row("statement timeout", OK, f"{ms} ms")


def check_django() -> Row:
    """Django's system checks, deployment ones included: an error blocks. Run here, not
    before the command, so a check that needs an unreachable database is a row, not a crash."""
    try:
        found = checks.run_checks(include_deployment_checks=True)
    except Exception as exc:
        return Row("Django checks", BLOCKER, f"could not run: {short(exc)}")
    found = [m for m in found if not m.is_silenced()]
    if errors := [m for m in found if m.is_serious()]:
        return Row("Django checks", BLOCKER, "; ".join(f"{m.id}: {m.msg}" for m in errors))
    return Row("Django checks", OK, f"no errors ({len(found)} warnings)")


def check_beta_gate() -> Row:
    if settings.BASIC_AUTH:
        return Row("beta gate", WARNING, f"on (BASIC_AUTH): {GATE_WARNING}")
    return Row("beta gate", OK, "off: the site is public")


class Command(BaseCommand):
    help = "Print a go-live readiness table; exit 1 if anything blocks going live."
    requires_system_checks = []  # check_django runs them as a row of the table

    def add_arguments(self, parser):
        parser.add_argument(
            "--gunicorn-config",
            default=str(Path(settings.BASE_DIR) / "gunicorn.conf.py"),
            help="gunicorn config file the web dyno uses (default: gunicorn.conf.py)",
        )

    def handle(self, *args, gunicorn_config, **options):
        rows = [check_debug(), check_secret_key(), check_allowed_hosts(), check_https()]
        rows.append(check_site_url())
        rows += [check_database(), check_statement_timeout(), check_cache(), check_media()]
        rows += [check_sentry(), check_django()]
        try:
            conf = load_gunicorn_config(Path(gunicorn_config))
        except Exception as exc:
            detail = f"cannot read {gunicorn_config}: {short(exc)}"
            names = ("workers", "gunicorn timeout", "trusted proxies")
            rows += [Row(name, BLOCKER, detail) for name in names]
        else:
            rows += [check_workers(conf), check_gunicorn_timeout(conf), check_trusted_proxies(conf)]
        rows += app_rows()  # email and the worker, the CDN, ...: each app's golive.py
        rows.append(check_beta_gate())

        width = max(len(row.check) for row in rows)
        self.stdout.write(f"{'check'.ljust(width)}  {'status':<8} detail")
        for row in rows:
            line = f"{row.check.ljust(width)}  {row.status:<8} {row.detail}"
            styles = {OK: self.style.SUCCESS, WARNING: self.style.WARNING}
            self.stdout.write(line, styles.get(row.status, self.style.ERROR))

        blockers = [row.check for row in rows if row.status == BLOCKER]
        if blockers:
            message = f"Not ready to go live: {len(blockers)} blocker(s): {', '.join(blockers)}."
            raise CommandError(message, returncode=1)
        self.stdout.write(self.style.SUCCESS("Ready to go live."))
