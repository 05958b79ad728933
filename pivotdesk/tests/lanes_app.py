"""A WSGI app for test_lanes.py: ``/hold`` keeps its thread until the test releases it (a
page render stuck on a slow database, say); anything else answers at once with its path."""

import os
import time
from pathlib import Path


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/hold":
        signals = Path(os.environ["LANES_SIGNALS"])
        (signals / f"held-{time.monotonic_ns()}").touch()
        deadline = time.monotonic() + 30  # never hangs the test run
        while not (signals / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    body = path.encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
