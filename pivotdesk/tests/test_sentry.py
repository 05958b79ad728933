"""Sentry gets an error through the real SDK transport, with release and no PII or token."""

import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest

from .support import production_env, run_python

pytestmark = pytest.mark.slow

FAIL_SCRIPT = """
import io
import sentry_sdk
from django.test import override_settings
from pivotdesk.wsgi import application

body = b"email=pii-person%40example.com&name=Pat+Private&message=call+me+on+303-555-0100"
environ = {
    "REQUEST_METHOD": "POST", "PATH_INFO": "/boom/MQ/sekr1t-reset-token/", "QUERY_STRING": "",
    "SERVER_NAME": "x",
    "SERVER_PORT": "443", "HTTP_HOST": "pivotdesk.example", "wsgi.url_scheme": "https",
    "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.77",
    "REMOTE_ADDR": "10.1.2.3", "HTTP_COOKIE": "sessionid=s3ss10n-secret; csrftoken=csrf-secret",
    "HTTP_AUTHORIZATION": "Basic YmV0YTpzZWNyZXQ=",
    "HTTP_REFERER": "https://pivotdesk.example/boom/MQ/sekr1t-reset-token/",
    "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
    "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0),
    "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
}
statuses = []
with override_settings(ROOT_URLCONF="pivotdesk.tests.boom_urls"):
    list(application(environ, lambda status, headers, exc_info=None: statuses.append(status)))
print("STATUS", statuses[0])
sentry_sdk.flush(timeout=10)
"""


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "br":
            raw = brotli.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        self.server.received.append((self.path, raw.decode("utf-8", "replace")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def events(received):
    """The event items of the envelopes (header line, then item header / payload pairs)."""
    found = []
    for _, envelope in received:
        lines = envelope.split("\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_an_error_reaches_sentry_with_release_and_without_pii(sentry_endpoint):
    port = sentry_endpoint.server_address[1]
    env = production_env(
        SENTRY_DSN=f"http://public@127.0.0.1:{port}/1",
        SENTRY_ENVIRONMENT="staging",
        HEROKU_BUILD_COMMIT="4f9c2a1d0e",
        SOURCE_VERSION="not-this-one",
    )
    result = run_python(["-c", FAIL_SCRIPT], env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "STATUS 500" in result.stdout

    assert {path for path, _ in sentry_endpoint.received} == {"/api/1/envelope/"}
    [event] = events(sentry_endpoint.received)
    assert event["environment"] == "staging"
    assert event["release"] == "4f9c2a1d0e"
    assert event["exception"]["values"][-1]["value"] == "booking capacity exploded"
    assert event["request"]["url"].endswith("/boom/***/***/")

    everything = "\n".join(envelope for _, envelope in sentry_endpoint.received)
    for secret in (
        "pii-person",
        "Pat Private",
        "303-555-0100",
        "s3ss10n-secret",
        "csrf-secret",
        "YmV0YTpzZWNyZXQ=",
        "203.0.113.77",
        "10.1.2.3",
        "sekr1t-reset-token",
    ):
        assert secret not in everything, secret
    assert "email" not in event.get("user", {})


def test_no_dsn_no_sentry(sentry_endpoint):
    result = run_python(["-c", FAIL_SCRIPT], env=production_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "STATUS 500" in result.stdout
    assert sentry_endpoint.received == []
