"""Helpers for the deploy tests: production-like subprocesses and direct WSGI calls, a real
SMTP server on loopback, and local ports that stand in for a service that is down or hangs."""

import io
import os
import secrets
import socket
import subprocess
import sys
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit
from wsgiref.util import setup_testing_defaults

from aiosmtpd.controller import Controller

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STRONG_SECRET_KEY = secrets.token_urlsafe(64)

# Variables that would leak the developer's or CI's configuration into a production run.
_CLEARED = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "BASIC_AUTH",
    "STATIC_ROOT",
    "STATIC_HOST",
    "MEDIA_URL",
    "WEB_CONCURRENCY",
    "DB_STATEMENT_TIMEOUT_MS",
    "EMAIL_URL",
    "SOURCE_VERSION",
    "CACHE_KEY_PREFIX",
    "PORT",
}
_CLEARED_PREFIXES = ("AWS_", "SENTRY_", "HEROKU_", "SECURE_", "DJANGO_")


def production_env(**overrides: str | None) -> dict[str, str]:
    """The environment of a dyno: DEBUG off, a strong key, a real host name.

    An override of None removes the variable.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _CLEARED and not key.startswith(_CLEARED_PREFIXES)
    }
    env.update(
        DJANGO_SETTINGS_MODULE="pivotdesk.settings.base",
        DEBUG="0",
        SECRET_KEY=STRONG_SECRET_KEY,
        ALLOWED_HOSTS="pivotdesk.example",
        PYTHONUNBUFFERED="1",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(args: list[str], env: dict[str, str], timeout: float = 90):
    """Run the project's interpreter in the project directory; never waits forever."""
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def manage(*args: str, env: dict[str, str], timeout: float = 90):
    return run_python(["manage.py", *args], env=env, timeout=timeout)


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM (a graceful stop, as the platform sends), then SIGKILL if it lingers."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused at once."""
    return free_port()


class SmtpServer(NamedTuple):
    port: int
    received: list[EmailMessage]


@contextmanager
def smtp_server():
    """A real SMTP server on a loopback port (aiosmtpd); yields its port and the messages it
    accepted, parsed."""

    class Collect:
        async def handle_DATA(self, server, session, envelope):
            received.append(message_from_bytes(envelope.content, policy=default_policy))
            return "250 OK"

    received: list[EmailMessage] = []
    controller = Controller(Collect(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller.port, received)
    finally:
        controller.stop()


def smtp_mailers(port: int, timeout: float) -> dict:
    """MAILERS for an SMTP server on a loopback port (one that refuses, or never answers)."""
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": timeout},
        }
    }


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL") or None


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def scratch_database(prefix: str):
    """Create an empty Postgres database for one test run; yield its URL; drop it after."""
    import psycopg2

    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = psycopg2.connect(with_database(postgres_url(), "postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield with_database(postgres_url(), name)
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


class WsgiResult:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status_code = int(status.split(" ", 1)[0])
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode()


def call_wsgi(
    app,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    host: str = "127.0.0.1",
    script_name: str = "",
):
    """One request through a WSGI app as a server would make it (iterate, then close)."""
    environ: dict = {}
    setup_testing_defaults(environ)
    path, _, query = path.partition("?")
    environ.update(
        PATH_INFO=path,
        QUERY_STRING=query,
        REQUEST_METHOD=method,
        SERVER_PORT="80",
        HTTP_HOST=host,
        SCRIPT_NAME=script_name,
    )
    environ["wsgi.input"] = io.BytesIO(b"")
    environ["wsgi.errors"] = io.StringIO()
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else f"HTTP_{key}"] = value
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"], captured["headers"] = status, response_headers
        return lambda data: None

    body_iter = app(environ, start_response)
    try:
        body = b"".join(body_iter)
    finally:
        if hasattr(body_iter, "close"):
            body_iter.close()
    return WsgiResult(captured["status"], captured["headers"], body)
