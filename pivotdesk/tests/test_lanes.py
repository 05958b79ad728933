"""The asset lane (pivotdesk/lanes.py) in a real gunicorn with one page thread: while that
thread is held by a slow page, CSS, JS and photos are still answered. Plain gthread, the
control, leaves them waiting — the PNG queued behind busy workers that began this project."""

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from pivotdesk.tests.support import BASE_DIR, free_port, stop

pytestmark = pytest.mark.slow

LANES = "pivotdesk.lanes.AssetLaneWorker"
WAITING = 1.5  # seconds after which a request counts as stuck behind the held page


@dataclass
class Server:
    port: int
    signals: Path

    def get(self, path, method="GET", timeout=5.0):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def hold(self):
        """A page request that keeps its thread until release(); returns the thread and
        waits until the app has it (so requests made next are behind it)."""
        result = {}
        before = len(list(self.signals.glob("held-*")))
        thread = threading.Thread(
            target=lambda: result.update(answer=self.get("/hold", timeout=40)), daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while len(list(self.signals.glob("held-*"))) == before:
            assert time.monotonic() < deadline, "the held request never reached the app"
            time.sleep(0.01)
        return thread, result

    def release(self):
        (self.signals / "release").touch()


@contextmanager
def gunicorn(tmp_path, worker_class):
    port = free_port()
    signals = tmp_path / "signals"
    signals.mkdir()
    config = tmp_path / "gunicorn.conf.py"  # not the project's: one worker, one page thread
    config.write_text("")
    env = {**os.environ, "LANES_SIGNALS": str(signals), "GUNICORN_ASSET_THREADS": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(config),
            "--worker-class",
            worker_class,
            "--workers",
            "1",
            "--threads",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "pivotdesk.tests.lanes_app:app",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Server(port, signals)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert server.get("/up", timeout=2) == (200, b"/up")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("gunicorn did not start: " + process.stderr.read1().decode())
                time.sleep(0.1)
        yield server
    finally:
        server.release()
        stop(process)


def read_until(sock, *endings, timeout=5.0):
    """Bytes from ``sock`` until every one of ``endings`` has arrived (or the timeout)."""
    sock.settimeout(timeout)
    data = b""
    while not all(ending in data for ending in endings):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_assets_are_answered_while_every_page_thread_is_held(tmp_path):
    with gunicorn(tmp_path, LANES) as server:
        held, first = server.hold()
        second = {}  # a page waiting behind the held one
        queued = threading.Thread(
            target=lambda: second.update(answer=server.get("/queued", timeout=40)), daemon=True
        )
        queued.start()

        assert server.get("/static/css/site.css", timeout=WAITING) == (200, b"/static/css/site.css")
        assert server.get("/media/photo.webp", timeout=WAITING) == (200, b"/media/photo.webp")
        assert server.get("/static/js/map.js", method="HEAD", timeout=WAITING) == (200, b"")
        assert held.is_alive() and queued.is_alive()

        server.release()
        held.join(10)
        queued.join(10)
        assert first["answer"] == (200, b"/hold")
        assert second["answer"] == (200, b"/queued")


def test_plain_gthread_leaves_assets_waiting_behind_the_page(tmp_path):
    with gunicorn(tmp_path, "gthread") as server:
        server.hold()
        with pytest.raises(TimeoutError):
            server.get("/static/css/site.css", timeout=WAITING)


def test_pages_do_not_jump_the_queue(tmp_path):
    with gunicorn(tmp_path, LANES) as server:
        server.hold()
        with pytest.raises(TimeoutError):
            server.get("/spaces/", timeout=WAITING)
        # Only a GET or HEAD whose path starts with an asset prefix takes the lane.
        with pytest.raises(TimeoutError):
            server.get("/staticky", timeout=WAITING)


def test_a_silent_new_connection_takes_no_thread(tmp_path):
    with gunicorn(tmp_path, LANES) as server:
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        try:
            time.sleep(0.2)  # accepted by now, nothing sent
            # Plain gthread would give it the only page thread for up to 5 s.
            assert server.get("/spaces/", timeout=WAITING) == (200, b"/spaces/")
            server.hold()
            silent.sendall(b"GET /media/late.webp HTTP/1.1\r\nHost: t\r\n\r\n")
            assert read_until(silent, b"\r\n\r\n/media/late.webp").endswith(b"/media/late.webp")
        finally:
            silent.close()


def test_pipelined_and_kept_alive_requests_each_find_their_lane(tmp_path):
    with gunicorn(tmp_path, LANES) as server:
        server.hold()
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            # Two requests in one packet: the second is read ahead into gunicorn's buffer,
            # not left on the socket, and is classified from there.
            sock.sendall(
                b"GET /static/a.css HTTP/1.1\r\nHost: t\r\n\r\n"
                b"GET /media/b.webp HTTP/1.1\r\nHost: t\r\n\r\n"
            )
            answer = read_until(sock, b"\r\n\r\n/static/a.css", b"\r\n\r\n/media/b.webp")
            assert answer.count(b"HTTP/1.1 200 OK") == 2
            # The same connection, kept alive, asks again.
            sock.sendall(b"GET /static/c.js HTTP/1.1\r\nHost: t\r\n\r\n")
            assert read_until(sock, b"\r\n\r\n/static/c.js").startswith(b"HTTP/1.1 200 OK")


def test_the_procfile_config_uses_the_asset_lane():
    namespace = {}
    source = (BASE_DIR / "gunicorn.conf.py").read_text()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN_")}
    saved = os.environ.copy()
    try:
        os.environ.clear()
        os.environ.update(env)
        exec(compile(source, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 - our file
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert namespace["worker_class"] == LANES
    assert namespace["threads"] >= 1
