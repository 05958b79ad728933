"""One line per request on stdout, shaped like the router's, so a spike reads from `heroku logs`:

    at=info method=GET path="/" status=200 service=1ms queue=3ms bytes=1234 cache=hit request_id=…

(`at=error` for a 5xx, as the router does.) `cache=` says how the page cache answered (hit,
stale, miss or bypass; absent for what it never keeps, such as assets): the misses are the
renders. The outermost WSGI layer: it sees page-cache hits and beta-gate refusals too.
`service` is the time from entering this layer to the last body byte; `queue` is the time
the request waited between the router and the dyno (pivotdesk.queue_ms, set by the page
cache's queue-time layer, or X-Request-Start read here).
"""

import itertools
import os
import re
import sys
import threading
import time
import uuid

# Heroku's router sends a UUID; accept any short token made of safe characters, otherwise
# make our own (a request id is echoed into a header and a log line: no injection).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{8,200}")


# One write per line stays whole when several workers share the dyno's stdout pipe.
MAX_PATH = 1000


class _Ids:
    """Request ids for requests that came without one: 20 random hex digits drawn once per
    process, then a counter (32 hex digits, like a UUID). Unique, and no system call per
    request (uuid4 reads the kernel's random source each time, giving up the GIL)."""

    def __init__(self):
        self.pid = None
        self.lock = threading.Lock()

    def next(self) -> str:
        if self.pid != os.getpid():  # drawn after gunicorn forks, not shared by workers
            with self.lock:
                if self.pid != os.getpid():
                    self.prefix, self.counter = uuid.uuid4().hex[:20], itertools.count()
                    self.pid = os.getpid()
        return f"{self.prefix}{next(self.counter):012x}"


_ids = _Ids()


def request_id(environ) -> str:
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if _REQUEST_ID.fullmatch(given) else _ids.next()


def queue_ms(environ, now: float) -> int | None:
    """Milliseconds the request queued before reaching us, if anyone can tell."""
    known = environ.get("pivotdesk.queue_ms")
    if known is not None:
        try:
            return max(0, int(known))
        except (TypeError, ValueError):
            return None
    raw = environ.get("HTTP_X_REQUEST_START", "").strip().removeprefix("t=")
    try:
        start = float(raw)
    except ValueError:
        return None
    # The router sends epoch milliseconds; other proxies send seconds or microseconds.
    now_ms = now * 1000
    for start_ms in (start, start * 1000, start / 1000):
        if abs(now_ms - start_ms) < 86_400_000:
            return max(0, round(now_ms - start_ms))
    return None


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class RequestLog:
    def __init__(self, app, stream=None):
        self.app = app
        self.stream = stream

    def __call__(self, environ, start_response):
        started = time.monotonic()
        arrived = time.time()
        rid = request_id(environ)
        environ["HTTP_X_REQUEST_ID"] = rid  # Django and Sentry see the same id
        state = {"status": "500"}

        def logging_start_response(status, headers, exc_info=None):
            state["status"] = status.split(" ", 1)[0]
            if not any(name.lower() == "x-request-id" for name, _ in headers):
                headers = [*headers, ("X-Request-ID", rid)]
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, logging_start_response)
        except BaseException:
            self._write(environ, state["status"], started, arrived, 0, rid)
            raise
        return _LoggedBody(
            body, lambda sent: self._write(environ, state["status"], started, arrived, sent, rid)
        )

    def _write(self, environ, status, started, arrived, sent, rid):
        service = round((time.monotonic() - started) * 1000)
        queue = queue_ms(environ, arrived)
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))[:MAX_PATH]
        level = "error" if status.startswith("5") else "info"
        cache = environ.get("pivotdesk.page_cache")
        line = (
            f"at={level} method={environ.get('REQUEST_METHOD', '-')} path={_quote(path)} "
            f"status={status} service={service}ms "
            f"queue={'-' if queue is None else f'{queue}ms'} bytes={sent} "
            f"{f'cache={cache} ' if cache else ''}request_id={rid}\n"
        )
        stream = self.stream or sys.stdout
        stream.write(line)
        stream.flush()


class _LoggedBody:
    """Passes the body through, counting bytes; logs once when the server closes it."""

    def __init__(self, body, on_close):
        self.body = body
        self.on_close = on_close
        self.sent = 0

    def __iter__(self):
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.on_close(self.sent)
