"""One line per request on stdout, shaped like the router's, so a spike reads from `heroku logs`:

    at=info method=GET path="/" status=200 service=1ms queue=3ms bytes=1234 cache=hit request_id=…

The outermost WSGI layer (it sees cache hits and gate refusals). A URL part named in
SECRET_URL_PARTS (a reset's ``uidb64``/``token``; call an invite's or unsubscribe link's
part ``token`` too) is written ``***``, here and in Sentry events (pivotdesk/sentry.py).
"""

import re
import sys
import time
import uuid

from django.urls import Resolver404, resolve

from .pagecache import queue_time_ms

SECRET_URL_PARTS = frozenset({"token", "uidb64", "key", "signature"})
MASK = "***"
# The router's request id, if it is a short token of safe characters (no log injection).
REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{8,200}")
MAX_PATH = 1000  # one write per line stays whole when workers share the dyno's stdout


def masked_path(path: str, script_name: str = "") -> str:
    """``path`` (after ``script_name``) with its secret URL parts' values replaced."""
    try:
        kwargs = resolve(path.removeprefix(script_name.rstrip("/")) or "/").kwargs
    except Resolver404:
        return path
    for name, value in kwargs.items():
        if name in SECRET_URL_PARTS and value:
            path = path.replace(str(value), MASK)
    return path


def wsgi_str(environ, name) -> str:
    """A path from the environ as Django decodes it (PEP 3333: latin-1 carried UTF-8)."""
    return environ.get(name, "").encode("latin-1", "replace").decode("utf-8", "replace")


class RequestLog:
    def __init__(self, app, stream=None):
        self.app = app
        self.stream = stream

    def __call__(self, environ, start_response):
        started, arrived = time.monotonic(), time.time()
        given = environ.get("HTTP_X_REQUEST_ID", "")
        rid = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        environ["HTTP_X_REQUEST_ID"] = rid  # Django and Sentry see the same id
        state = {"status": "500"}

        def logging_start_response(status, headers, exc_info=None):
            state["status"] = status.split(" ", 1)[0]
            if not any(name.lower() == "x-request-id" for name, _ in headers):
                headers = [*headers, ("X-Request-ID", rid)]
            return start_response(status, headers, exc_info)

        def write(sent):
            queue = queue_time_ms(environ, arrived)
            cache = environ.get("pivotdesk.page_cache")
            script_name = wsgi_str(environ, "SCRIPT_NAME")
            path = script_name + wsgi_str(environ, "PATH_INFO")
            if cache not in ("hit", "stale"):  # a cached public page has no secret parts
                path = masked_path(path, script_name)
            path = path[:MAX_PATH].replace("\\", "\\\\").replace('"', '\\"')
            line = (
                f"at={'error' if state['status'].startswith('5') else 'info'} "
                f'method={environ.get("REQUEST_METHOD", "-")} path="{path}" '
                f"status={state['status']} service={round((time.monotonic() - started) * 1000)}ms "
                f"queue={'-' if queue is None else f'{queue}ms'} bytes={sent} "
                f"{f'cache={cache} ' if cache else ''}request_id={rid}\n"
            )
            (self.stream or sys.stdout).write(line)
            (self.stream or sys.stdout).flush()

        try:
            body = self.app(environ, logging_start_response)
        except BaseException:
            write(0)
            raise
        return LoggedBody(body, write)


class LoggedBody:  # passes the body through, counting bytes; logs when the server closes it
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
