"""Real servers on loopback for the fault tests: our own Redis, gunicorn, a hanging database.

Every wait here is bounded; every process is ours, started and stopped by pid.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PYTHON_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout} s")


class RedisServer:
    """``redis-server`` on 127.0.0.1:<port>, nothing kept on disk. Can stop and start again."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/1"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=1, socket_timeout=1)

    def _ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:
            return False

    def start(self):
        binary = shutil.which("redis-server")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._ping, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def pause(self):
        """Stop answering but keep every key: a hung or overloaded Redis."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.resume()  # a paused process would not act on SIGTERM
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def dbsize(self) -> int:
        return self.client().dbsize()


class HangingDatabase:
    """A TCP listener that accepts connections and never says a word: a database that hangs."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(conn)  # held open, never answered

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


def database_url_for(name: str | None = None, *, host=None, port=None) -> str:
    """DATABASE_URL pointing at ``name`` (e.g. the test database) or another host/port."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    netloc = parts.netloc
    if host or port:
        userinfo = netloc.rpartition("@")[0]
        netloc = f"{userinfo + '@' if userinfo else ''}{host or '127.0.0.1'}:{port}"
    path = f"/{name}" if name else parts.path
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def production_env(**extra) -> dict:
    """The environment of a dyno: DEBUG off, a secret, hosts, no HTTPS redirect on loopback."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "BASIC_AUTH", "SENTRY_DSN"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.faults.server_settings",
        DEBUG="0",
        SECRET_KEY="fault-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        WEB_CONCURRENCY="1",
        PYTHONPATH=str(BASE_DIR),
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
    return env


class LoopbackServer:
    """A server process of ours on a free loopback port, used as ``with Server(...) as s:``:
    started, waited for until ``probe`` answers (or it exits), stopped by pid. Subclasses
    give ``name``, ``probe`` and ``command()``; the output goes to ``log_path``."""

    name = "server"
    probe = "/"
    # Up once ``probe`` answers at all, or, when set, with one of these statuses.
    ready_statuses: frozenset[int] | None = None
    start_timeout = 30
    cwd = None
    env = None

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        self.proc = None

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        try:
            response = requests.get(self.base_url + self.probe, timeout=1)
        except requests.RequestException:
            return False
        return self.ready_statuses is None or response.status_code in self.ready_statuses

    def __enter__(self):
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(
            self.command(), cwd=self.cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        try:
            wait_for(
                lambda: self.proc.poll() is not None or self._answers(),
                timeout=self.start_timeout,
                what=f"{self.name} answering",
            )
        except TimeoutError:
            self.__exit__()
            raise
        if self.proc.poll() is not None:
            self.log.close()
            raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-4000:]}")
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()

    def get(self, path: str, timeout: float = 10, **kwargs):
        return requests.get(self.base_url + path, timeout=timeout, allow_redirects=False, **kwargs)

    def logs(self) -> str:
        self.log.flush()
        return self.log_path.read_text()[-6000:]


class Gunicorn(LoopbackServer):
    """The app under gunicorn with the project's gunicorn.conf.py, on a free loopback port."""

    name = "gunicorn"
    probe = "/robots.txt"
    cwd = BASE_DIR

    def __init__(self, env: dict, log_path: Path):
        super().__init__(log_path)
        self.env = env

    def command(self) -> list[str]:
        return [str(PYTHON_BIN / "gunicorn"), "--config", "gunicorn.conf.py",
                "--bind", f"127.0.0.1:{self.port}", "--chdir", str(BASE_DIR),
                "pivotdesk.wsgi:application"]  # fmt: skip
