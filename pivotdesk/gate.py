"""The beta gate: site-wide HTTP basic auth while BASIC_AUTH=user:password is set. A WSGI
wrapper outside the page cache, so cached pages are gated too; health checks stay open."""

import base64
import binascii
import hmac

from django.conf import settings

from pivotdesk.health import HEALTH_PATHS

REALM = "PivotDesk beta"


def _credentials(environ) -> bytes | None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


class BetaGate:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        expected = settings.BASIC_AUTH
        if not expected or environ.get("PATH_INFO", "") in HEALTH_PATHS:
            return self.app(environ, start_response)
        given = _credentials(environ)
        # compare_digest: no timing hint about how much of a guess was right.
        if given is not None and hmac.compare_digest(given, expected.encode()):
            return self.app(environ, start_response)
        body = b"PivotDesk is in private beta.\n"
        start_response(
            "401 Unauthorized",
            [
                ("WWW-Authenticate", f'Basic realm="{REALM}", charset="UTF-8"'),
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]
