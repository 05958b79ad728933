"""gunicorn's threaded worker with a lane for assets: CSS, JS and photos never wait behind pages.

gthread hands every readable connection to one thread pool, first come first served. In a
spike, newcomers' photos and stylesheets queued there behind uncached page renders, and they
were most of the slowest requests (docs/PERFORMANCE.md) — the H12 this project started from
was a PNG. This worker reads the first bytes of each request without consuming them
(``MSG_PEEK``) and gives a GET or HEAD under ``/static/`` or ``/media/`` to a small pool of its
own, so it only shares the processor, never a queue, with pages. Everything else — parsing,
keep-alive, timeouts, shutdown — is gunicorn's.

A new connection that has sent nothing yet waits in the poller, not in a thread, until its
first bytes arrive and say which lane it belongs to.

Settings (environment): ``GUNICORN_ASSET_THREADS`` (threads in the asset lane per worker,
default 2; 0 sends everything to the page pool, as plain gthread does) and
``GUNICORN_ASSET_PREFIXES`` (space-separated URL prefixes, default ``/static/ /media/``).
"""

import os
import selectors
import socket
import time
from concurrent import futures
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

ASSET_THREADS = int(os.environ.get("GUNICORN_ASSET_THREADS", "2"))
ASSET_REQUEST_LINES = tuple(
    f"{method} {prefix}".encode("ascii")
    for method in ("GET", "HEAD")
    for prefix in os.environ.get("GUNICORN_ASSET_PREFIXES", "/static/ /media/").split()
)
PEEK_BYTES = max(map(len, ASSET_REQUEST_LINES), default=0)


class AssetLaneWorker(ThreadWorker):
    def init_process(self):
        self.asset_pool = (
            futures.ThreadPoolExecutor(max_workers=ASSET_THREADS, thread_name_prefix="assets")
            if ASSET_THREADS > 0 and ASSET_REQUEST_LINES and not self.cfg.is_ssl
            else None
        )
        super().init_process()

    def run(self):
        try:
            super().run()
        finally:
            if self.asset_pool is not None:
                self.asset_pool.shutdown(wait=False)

    def handle_quit(self, sig, frame):
        if self.asset_pool is not None:
            self.asset_pool.shutdown(wait=False)
        super().handle_quit(sig, frame)

    def enqueue_req(self, conn):
        pool = self.tpool
        if self.asset_pool is not None:
            start = self.first_bytes(conn)
            if start is None and self.alive and not conn.initialized:
                self.wait_for_first_bytes(conn)
                return
            if start and start.startswith(ASSET_REQUEST_LINES):
                pool = self.asset_pool
        future = pool.submit(self.handle, conn)
        future.add_done_callback(
            lambda done: self.method_queue.defer(self.finish_request, conn, done)
        )

    def first_bytes(self, conn):
        """The start of the connection's next request, left where the parser will read it;
        None when nothing has arrived yet (b"" when the client has closed)."""
        if conn.parser is not None:
            # Bytes the parser read ahead past the previous request are no longer on the
            # socket (gunicorn re-queues such a connection without polling it).
            buffered = conn.parser.unreader.buf.getvalue()
            if buffered:
                return buffered[:PEEK_BYTES]
        try:
            return conn.sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return b""  # reset: the page pool's handler closes it as gunicorn does

    def wait_for_first_bytes(self, conn):
        """A connection accepted before its request arrived: poll it like gunicorn's deferred
        connections (closed by murder_pending after the keep-alive timeout if it stays
        silent), then classify it when it becomes readable."""
        conn.sock.setblocking(False)
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )
