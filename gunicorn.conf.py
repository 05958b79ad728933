"""gunicorn settings. The Procfile names only the app; every server option lives here, so the
same file serves the bare-Django comparison app of ``make spike`` (loadtest/bare_app.py).

Numbers behind each choice: docs/PERFORMANCE.md. Every value can be overridden by an
environment variable of the same name in capitals (GUNICORN_* for the less common ones).
"""

import os
import sys

_env = os.environ.get

# The platform's router sends traffic to $PORT. (`make spike` sets GUNICORN_BIND to loopback.)
bind = _env("GUNICORN_BIND", f"0.0.0.0:{_env('PORT', '8000')}")

# Processes: WEB_CONCURRENCY (the platform sets it per dyno size). 2 cores here: 3 workers.
workers = int(_env("WEB_CONCURRENCY", "3"))

# gthread: a worker thread waiting on Postgres/Redis does not hold the whole process, and
# keep-alive connections wait in the poller, not in a thread. Measured against sync in
# docs/PERFORMANCE.md ("Worker class"). PivotDesk's subclass (pivotdesk/lanes.py) gives
# /static/ and /media/ requests their own threads (GUNICORN_ASSET_THREADS, default 2), so
# assets never queue behind page renders; `threads` are the pages' threads.
worker_class = _env("GUNICORN_WORKER_CLASS", "pivotdesk.lanes.AssetLaneWorker")
threads = int(_env("GUNICORN_THREADS", "4"))
worker_connections = int(_env("GUNICORN_WORKER_CONNECTIONS", "1000"))

# The router gives up after 30 s (H12). With threads, `timeout` watches the worker's main
# loop, not each request: a worker whose loop stops (a C call holding the GIL, a deadlock)
# is killed and replaced before the router gives up. A single slow request is bounded by
# the timeouts of what it waits on: Postgres statement_timeout, Redis socket timeouts,
# EMAIL_TIMEOUT, S3's connect/read timeouts (settings/base.py), and the queue-time rule.
timeout = int(_env("GUNICORN_TIMEOUT", "25"))
# On deploy/restart the platform sends SIGTERM and waits 30 s: let requests finish.
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Above the router's idle timeout (Heroku: 90 s with HTTP/1.1 keep-alive to dynos), so the
# router, not gunicorn, closes idle connections (no resets on a reused socket).
keepalive = int(_env("GUNICORN_KEEPALIVE", "95"))

# Recycle workers now and then (slow leaks), not all at once, and not often: a recycled worker
# loses its page copies and its keep-alive connections. At 5,000 workers restarted every few
# seconds under wrk; at 50,000 once per ceiling round, costing that round up to half its rate
# (docs/PERFORMANCE.md). At 100 requests/s a worker is recycled about every half hour.
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = int(_env("GUNICORN_MAX_REQUESTS_JITTER", "20000"))

# Import Django once in the master: workers fork with the code already loaded (faster
# start, shared memory pages). Nothing connects at import time (settings/base.py).
preload_app = _env("GUNICORN_PRELOAD", "1") == "1"

# Worker heartbeat files in memory, not on a possibly slow disk (Docker's /tmp).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# The access log is the router-style request line the app writes for every request
# (pivotdesk/requestlog.py: method, path, status, service=…ms, queue=…ms, bytes, request id),
# so gunicorn's own access log is off by default: a second line per request, and building it
# (a dict of every header, then the logging module) was a third of the Python work of serving
# an image (docs/PERFORMANCE.md, session 3). GUNICORN_ACCESSLOG=- turns it on, in this format
# (%(M)s ms, %(D)s µs).
accesslog = _env("GUNICORN_ACCESSLOG", "") or None
errorlog = "-"
loglevel = _env("GUNICORN_LOGLEVEL", "info")
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(B)s %(M)sms %(D)sus '
    'request_id=%({x-request-id}i)s request_start=%({x-request-start}i)s "%(a)s"'
)

# Behind the platform's router, which sets X-Forwarded-For/Proto.
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "*")
# Request line and header limits (defaults are generous; these stay well above real use).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190


def _warm():
    # Templates compiled and URL resolvers built before the first request
    # (pivotdesk/warmup.py). Only when the app served is PivotDesk's.
    if "pivotdesk.wsgi" in sys.modules:
        from pivotdesk.warmup import warm_process

        warm_process()


def when_ready(server):
    # In the master, after preloading the app and before forking: every worker, including
    # those that replace recycled ones, inherits the warm process.
    if preload_app:
        _warm()


def post_worker_init(worker):
    if not preload_app:
        _warm()
    # Each worker keeps copies of hot pages in memory, kept honest by a Redis subscription
    # to content-version bumps (pivotdesk.pagecache.LocalCopies): a hit then costs no Redis
    # round trip. Only when the app served is PivotDesk's (not loadtest/bare_app.py).
    pagecache = sys.modules.get("pivotdesk.pagecache")
    if pagecache is not None and _env("PAGE_CACHE_LOCAL", "1") == "1":
        pagecache.LOCAL.enable()
