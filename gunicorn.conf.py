"""gunicorn settings. The Procfile names only the app; every server option lives here, so the
same file serves the bare-Django comparison app of ``make spike`` (loadtest/bare_app.py).

A stock worker class and documented options only. Each value can be overridden by an
environment variable (GUNICORN_* for the less common ones). Numbers: docs/PERFORMANCE.md.
"""

import os

_env = os.environ.get

# The platform's router sends traffic to $PORT. (`make spike` sets GUNICORN_BIND to loopback.)
bind = _env("GUNICORN_BIND", f"0.0.0.0:{_env('PORT', '8000')}")

# Processes: WEB_CONCURRENCY (the platform sets it per dyno size). 2 cores here: 3 workers.
workers = int(_env("WEB_CONCURRENCY", "3"))

# gthread: a thread waiting on Postgres or Redis does not hold the whole process, and
# keep-alive connections wait in the poller, not in a thread.
worker_class = "gthread"
threads = int(_env("GUNICORN_THREADS", "4"))
worker_connections = int(_env("GUNICORN_WORKER_CONNECTIONS", "1000"))

# The router gives up after 30 s (H12). `timeout` watches each worker's main loop: a worker
# whose loop stops is replaced before the router gives up. A single slow request is bounded by
# what it waits on: Postgres statement_timeout, Redis socket timeouts, EMAIL_TIMEOUT, S3
# timeouts (settings/base.py), and the queue-time rule (pivotdesk/pagecache.py).
timeout = int(_env("GUNICORN_TIMEOUT", "25"))
# On deploy/restart the platform sends SIGTERM and waits 30 s: let requests finish.
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Above the router's idle timeout (90 s with keep-alive to dynos), so the router, not
# gunicorn, closes idle connections (no resets on a reused socket).
keepalive = int(_env("GUNICORN_KEEPALIVE", "95"))

# Recycle workers now and then (slow leaks), not all at once.
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = int(_env("GUNICORN_MAX_REQUESTS_JITTER", "20000"))

# Import Django once in the master: workers fork with the code loaded (faster start, shared
# memory pages). Nothing connects at import time (settings/base.py).
preload_app = True

# Worker heartbeat files in memory, not on a possibly slow disk (Docker's /tmp).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# The access log is the app's router-style line (pivotdesk/requestlog.py: path with secrets
# masked, status, service and queue time, request id). If gunicorn's own is switched on (the
# platform's GUNICORN_CMD_ARGS may), its format carries no path: a path can hold a token.
accesslog = None
errorlog = "-"
loglevel = _env("GUNICORN_LOGLEVEL", "info")
access_log_format = "%(h)s %(m)s %(s)s %(B)s %(M)sms request_id=%({x-request-id}i)s"

# Only the proxies named here may say the request was HTTPS (X-Forwarded-Proto, which sets
# the scheme Django reads); never "*". Behind the platform's router: its private network
# (docs/DEPLOY.md). Loopback by default, for `make spike` and a proxy on the same machine.
forwarded_allow_ips = _env("TRUSTED_PROXY_IPS", "127.0.0.1,::1")
# No request header may set SCRIPT_NAME or PATH_INFO, trusted or not: the URL prefix pages
# link with is not the client's to choose.
forwarder_headers = ""
header_map = "drop"
# Request line and header limits (defaults are generous; these stay well above real use).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
