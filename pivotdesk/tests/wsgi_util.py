"""Real WSGI calls for tests of the layers in front of Django (django.test.Client skips them)."""

import io
import threading
from dataclasses import dataclass
from wsgiref.util import setup_testing_defaults

from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@dataclass
class WSGIResponse:
    status: int
    headers: list
    body: bytes

    def header(self, name, default=None):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default

    def all(self, name):
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def text(self):
        return self.body.decode()


def wsgi_get(
    app,
    path,
    *,
    method="GET",
    query="",
    headers=None,
    cookies=None,
    body=b"",
    script_name="",
    environ=None,
):
    extra, environ = environ, {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD=method,
        PATH_INFO=path,
        SCRIPT_NAME=script_name,
        QUERY_STRING=query,
        HTTP_HOST="127.0.0.1",
        SERVER_PORT="80",
        CONTENT_LENGTH=str(len(body)),
    )
    environ["wsgi.input"] = io.BytesIO(body)
    environ.update(extra or {})
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    if cookies:
        environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"], captured["headers"] = status, response_headers
        return lambda data: None

    # As django.test.Client does: keep the test's transaction (and its connection) open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = app(environ, start_response)
        try:
            data = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    response = WSGIResponse(int(captured["status"].split()[0]), captured["headers"], data)
    response.environ = environ
    return response


class CountingApp:
    """Wraps the Django application and counts how often it is called (renders)."""

    def __init__(self, app, before=None):
        self.app = app
        self.calls = 0
        self.before = before
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.calls += 1
        if self.before:
            self.before()
        return self.app(environ, start_response)
