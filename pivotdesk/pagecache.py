"""Anonymous pages served whole from Redis, before Django builds a request.

``PageCache`` is a thin WSGI layer around the Django application (see pivotdesk/wsgi.py).
For an anonymous (no session cookie) GET/HEAD of a cacheable path it costs ONE Redis round
trip: an MGET of the content version and the page entry. The entry records the content
version it was rendered under, and is served only when that equals the current version; so
the version is part of each page's identity, and the previous copy is, for free, the "stale"
copy that other workers serve while one worker re-renders (no stampede).

Hits still get what Django would have done for them:

- host validation against ALLOWED_HOSTS (a bad host goes to Django, which answers 400);
- the security headers, because the headers Django set are stored with the body (they are the
  same for every anonymous visitor); the key includes scheme and host, so an http request
  never gets a copy rendered for https (SECURE_SSL_REDIRECT still redirects it);
- the queue-time rule (``X-Request-Start``): a request that already waited longer than
  QUEUE_TIMEOUT_MS gets 503 + Retry-After at once, unless a cached copy can answer it;
  media files (pivotdesk.media) and collected static files (pivotdesk.assets) are also served
  here, before Django, and past that limit too: they answer at once;
- the beta gate and the request log, which wrap this layer from outside.

Pages are kept gzipped (``compressed``: a search page ~35 KB becomes ~6 KB, in Redis and on
the wire), compressed once when stored; a client that does not take gzip gets them
decompressed (a worker's copy keeps the decompressed body too). Every kept page says
``Vary: Accept-Encoding``, so a CDN keys on it.

The content version is bumped on commit of any change to listings, photos, places, amenities
or bookings (pivotdesk/cache_signals.py), so an edit is visible on the next request. The
code version (pivotdesk/codeversion.py) is part of every page's key: a deploy, or a change
to a setting pages show, starts with pages of its own instead of serving the last release's
(which link to CSS and JS the new slug no longer has).
"""

import gzip
import hashlib
import json
import logging
import math
import os
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host

from . import media
from .assets import Assets
from .codeversion import code_version

log = logging.getLogger("pivotdesk.pagecache")

# Exact paths and prefixes that may be served from the page cache. Everything else
# (/healthz, /readyz, /static/, /media/, /accounts/, /host/, /admin/, /bookings/...) is not.
CACHEABLE_PATHS = frozenset({"/", "/sitemap.xml", "/robots.txt"})
CACHEABLE_PREFIXES = ("/spaces/",)
# The sitemap index is /sitemap.xml; its sections are /sitemap-<section>.xml.
SITEMAP_SECTION = ("/sitemap-", ".xml")
# Under /spaces/ but personal: the booking form.
EXCLUDED_SUFFIXES = ("/book/",)
# Campaign parameters change nothing on a page; dropping them from the key lets a tweeted
# link with ?utm_source=... share the cached copy.
IGNORED_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")

DEFAULT_CACHE_CONTROL = "public, max-age=60, s-maxage=300, stale-while-revalidate=600"
HIT, STALE, MISS = "hit", "stale", "miss"
# Smaller pages gain too little from gzip to be worth a client's decompression.
GZIP_MIN_BYTES = 1024
# Response headers that are per response, not per page.
_NOT_STORED = {"content-length", "date", "x-page-cache", "set-cookie", "connection"}

BUSY_BODY = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Busy</title>"
    b"<h1>PivotDesk is very busy</h1><p>Please try again in a few seconds.</p></html>\n"
)


def conf(name, default):
    return getattr(settings, name, default)


def is_cacheable_path(path: str) -> bool:
    if path in CACHEABLE_PATHS:
        return True
    if path.startswith(SITEMAP_SECTION[0]) and path.endswith(SITEMAP_SECTION[1]):
        return True
    return path.startswith(CACHEABLE_PREFIXES) and not path.endswith(EXCLUDED_SUFFIXES)


def has_session_cookie(environ) -> bool:
    raw = environ.get("HTTP_COOKIE")
    if not raw or settings.SESSION_COOKIE_NAME not in raw:
        return False
    return bool(parse_cookie(raw).get(settings.SESSION_COOKIE_NAME))


def request_scheme(environ) -> str:
    """The scheme as Django's HttpRequest.scheme computes it."""
    header = settings.SECURE_PROXY_SSL_HEADER
    if header:
        name, secure_value = header
        value = environ.get(name)
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return environ.get("wsgi.url_scheme", "http")


def request_host(environ) -> str | None:
    """The validated host (lowercase, with port), or None when Django would refuse it."""
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
        host = environ["HTTP_X_FORWARDED_HOST"]
    elif "HTTP_HOST" in environ:
        host = environ["HTTP_HOST"]
    else:
        host = environ.get("SERVER_NAME", "")
        port = str(environ.get("SERVER_PORT", ""))
        if port and port != ("443" if request_scheme(environ) == "https" else "80"):
            host = f"{host}:{port}"
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, port = split_domain_port(host)
    if domain and validate_host(domain, allowed):
        return f"{domain}:{port}" if port else domain
    return None


def normalized_query(query_string: str) -> str:
    """Sorted parameters, empty and campaign parameters dropped. Values stay as sent."""
    if not query_string:
        return ""
    parts = [p for p in query_string.split("&") if p and not p.startswith(IGNORED_PARAMS)]
    return "&".join(sorted(parts))


def page_id(environ, host: str) -> str:
    """Method-agnostic identity of a page: the code version (a deploy or a setting a page
    shows starts afresh, pivotdesk.codeversion), scheme, host, path, normalized query."""
    raw = "\n".join(
        (
            code_version(),
            request_scheme(environ),
            host,
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            normalized_query(environ.get("QUERY_STRING", "")),
        )
    )
    return hashlib.blake2b(raw.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def queue_time_ms(environ, now: float | None = None) -> int | None:
    """Milliseconds the request waited before reaching us, from the router's X-Request-Start.

    Accepts ``1700000000123`` (ms), ``t=1700000000123``, ``t=1700000000123456`` (µs) and
    ``t=1700000000.123`` (s). Anything unreadable or absurd (more than an hour, or more than a
    minute in the future) is ignored: None.
    """
    raw = environ.get("HTTP_X_REQUEST_START")
    if not raw:
        return None
    value = raw.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        start = float(value)
    except ValueError:
        return None
    if not math.isfinite(start) or start <= 0:
        return None
    if start > 1e17:  # nanoseconds
        start_ms = start / 1e6
    elif start > 1e14:  # microseconds
        start_ms = start / 1e3
    elif start > 1e11:  # milliseconds
        start_ms = start
    elif start > 1e8:  # seconds
        start_ms = start * 1e3
    else:
        return None
    waited = (time.time() if now is None else now) * 1000 - start_ms
    if waited < -60_000 or waited > 3_600_000:
        return None
    return max(0, int(waited))


# --- Storage --------------------------------------------------------------------------


def encode_entry(version: int, status: str, headers: list, body: bytes) -> bytes:
    return json.dumps([version, status, headers], separators=(",", ":")).encode() + b"\n" + body


def decode_entry(data: bytes):
    """(version, status, headers, body) or None for an unreadable entry."""
    try:
        cut = data.index(b"\n")
        version, status, headers = json.loads(data[:cut])
        return int(version), status, [tuple(h) for h in headers], data[cut + 1 :]
    except (ValueError, TypeError):
        return None


class RedisStore:
    """Raw redis-py client of the django-redis ``default`` cache: one command per call.

    Every change of the version (bump, or first use after a flush) is also PUBLISHed, so
    the per-process copies (LocalCopies) learn it without asking.
    """

    _UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
    # Never restart at 0 (eviction, FLUSHDB): an old copy could match a reused number.
    _INIT = (
        "if redis.call('set', KEYS[1], ARGV[1], 'NX') then "
        "redis.call('publish', KEYS[2], ARGV[1]) end return redis.call('get', KEYS[1])"
    )
    _BUMP = (
        "redis.call('set', KEYS[1], ARGV[1], 'NX') local v = redis.call('incr', KEYS[1]) "
        "return {v, redis.call('publish', KEYS[2], v)}"
    )

    def __init__(self, client, prefix: str):
        self.client = client
        self.prefix = prefix
        self.vkey = f"{prefix}:pc:version"
        # Pub/sub channels are server-wide, not per database: name the database.
        db = client.connection_pool.connection_kwargs.get("db", 0)
        self.channel = f"{prefix}:pc:bumps:db{db}"

    def _page(self, pid):
        return f"{self.prefix}:pc:page:{pid}"

    def _lock(self, pid):
        return f"{self.prefix}:pc:lock:{pid}"

    def _init_version(self) -> int:
        now = int(time.time() * 1000)
        return int(self.client.eval(self._INIT, 2, self.vkey, self.channel, now))

    def version(self) -> int:
        value = self.client.get(self.vkey)
        return int(value) if value is not None else self._init_version()

    def lookup(self, pid):
        version, entry = self.client.mget([self.vkey, self._page(pid)])
        version = int(version) if version is not None else self._init_version()
        return version, entry

    def peek(self, pid):
        version, entry, lock = self.client.mget([self.vkey, self._page(pid), self._lock(pid)])
        return int(version or 0), entry, lock is not None

    def save(self, pid, entry: bytes, ttl: int):
        self.client.set(self._page(pid), entry, ex=ttl)

    def lock(self, pid, ttl_ms: int):
        token = uuid.uuid4().hex
        return token if self.client.set(self._lock(pid), token, nx=True, px=ttl_ms) else None

    def unlock(self, pid, token):
        self.client.eval(self._UNLOCK, 1, self._lock(pid), token)

    def _acks(self, version):
        return f"{self.prefix}:pc:acks:{version}"

    def bump(self) -> int:
        """INCR + PUBLISH, then wait (bounded) until every worker that received the new
        version has applied it to its page copies, so the next request anywhere sees it."""
        now = int(time.time() * 1000)
        version, receivers = self.client.eval(self._BUMP, 2, self.vkey, self.channel, now)
        version, pending = int(version), int(receivers)
        deadline = time.monotonic() + conf("PAGE_CACHE_ACK_WAIT_MS", 200) / 1000
        while pending > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("%s page-cache worker(s) did not confirm version %s", pending, version)
                break
            if self.client.blpop([self._acks(version)], timeout=min(remaining, 0.2)):
                pending -= 1
        self.client.delete(self._acks(version))
        return version

    def ack(self, version):
        pipe = self.client.pipeline(transaction=False)
        pipe.rpush(self._acks(version), 1)
        pipe.expire(self._acks(version), 10)
        pipe.execute()


class DjangoCacheStore:
    """The same through Django's cache API: local memory on a laptop (one process)."""

    def __init__(self, cache):
        self.cache = cache
        self.vkey = "pc:version"

    def version(self) -> int:
        value = self.cache.get(self.vkey)
        if value is None:
            self.cache.add(self.vkey, int(time.time() * 1000), timeout=None)
            value = self.cache.get(self.vkey, 0)
        return int(value)

    def lookup(self, pid):
        got = self.cache.get_many([self.vkey, f"pc:page:{pid}"])
        version = got.get(self.vkey)
        return (int(version) if version is not None else self.version()), got.get(f"pc:page:{pid}")

    def peek(self, pid):
        got = self.cache.get_many([self.vkey, f"pc:page:{pid}", f"pc:lock:{pid}"])
        return int(got.get(self.vkey) or 0), got.get(f"pc:page:{pid}"), f"pc:lock:{pid}" in got

    def save(self, pid, entry: bytes, ttl: int):
        self.cache.set(f"pc:page:{pid}", entry, timeout=ttl)

    def lock(self, pid, ttl_ms: int):
        token = uuid.uuid4().hex
        added = self.cache.add(f"pc:lock:{pid}", token, timeout=max(1, math.ceil(ttl_ms / 1000)))
        return token if added else None

    def unlock(self, pid, token):
        if self.cache.get(f"pc:lock:{pid}") == token:
            self.cache.delete(f"pc:lock:{pid}")

    def bump(self) -> int:
        self.version()
        return int(self.cache.incr(self.vkey))


def get_store():
    cache = caches["default"]
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):  # django-redis
        return RedisStore(client.get_client(write=True), cache.key_prefix or "pd")
    return DjangoCacheStore(cache)


# Per process: after a few Redis errors in a row, skip the page cache for a moment instead
# of paying a socket timeout on every request while Redis is down. One slow reply (a loaded
# machine) does not trip it: that request just renders.
_down_until = 0.0
_failures = 0


def _redis_failed(exc):
    global _down_until, _failures
    _failures += 1
    if _failures >= conf("PAGE_CACHE_ERRORS_TO_TRIP", 3):
        _down_until = time.monotonic() + conf("PAGE_CACHE_RETRY_AFTER_ERROR_S", 1.0)
        _failures = 0
        log.warning("page cache unavailable, serving uncached for a second: %s", exc)
    else:
        log.info("page cache error (%s in a row): %s", _failures, exc)


def _redis_ok():
    global _failures
    _failures = 0


def _available() -> bool:
    return time.monotonic() >= _down_until


def content_version() -> int | None:
    """The current content version, or None when the cache is unreachable (or this process
    still owes it a bump, see ``content_version_bump``)."""
    if not _available() or not bump_settled():
        return None
    try:
        return get_store().version()
    except Exception as exc:  # any cache failure degrades to "uncached"
        _redis_failed(exc)
        return None


def request_content_version(request) -> int | None:
    """The content version for ``request``'s fragments and per-version data: the one the page
    cache read before Django ran (so before the view read the database), else read now,
    once per request. None when the cache is unreachable."""
    meta = getattr(request, "META", None)
    if meta is not None and meta.get("pivotdesk.content_version") is not None:
        return meta["pivotdesk.content_version"]
    version = content_version()
    if meta is not None and version is not None:
        meta["pivotdesk.content_version"] = version
    return version


# Set when a bump failed (Redis slow or down while an edit committed). Until this process
# has made the bump, it serves nothing cached: when Redis answers again it still holds the
# old version and the pages cached under it, which would otherwise be "current" again.
_bump_owed = threading.Event()


def content_version_bump() -> None:
    """Make every cached page and card stale. Call after bulk writes that send no signals
    (QuerySet.update, bulk_create). Never raises: a failed bump is logged and owed, made
    again before this process serves anything from the cache (``bump_settled``)."""
    _bump_owed.set()
    bump_settled()


def bump_settled() -> bool:
    """True unless this process owes the cache a version bump it still cannot make."""
    if not _bump_owed.is_set():
        return True
    if _available():
        try:
            _bump_owed.clear()
            LOCAL.saw(get_store().bump())
            return True
        except Exception as exc:
            _bump_owed.set()
            _redis_failed(exc)
            log.warning("content version bump failed (made on a later request): %s", exc)
    LOCAL.distrust()
    return False


# --- Per-process copies -------------------------------------------------------------------


class LocalCopies:
    """Hot pages kept in the worker process, so a hit costs no Redis round trip at all.

    Trusted only while a Redis subscription delivers every version bump (RedisStore publishes
    them): ``version`` is None (nothing served from here) until subscribed and synced, and
    again as soon as the subscription fails. A bump made in this process updates it at once;
    one made in another process arrives within the pub/sub delivery time (well under a
    millisecond on the same network). Copies also expire after PAGE_CACHE_LOCAL_TTL seconds,
    which bounds what an operator's FLUSHDB (no bump) can leave behind.

    Off unless enabled: gunicorn.conf.py enables it in each worker (post_worker_init).
    """

    def __init__(self):
        self.version = None
        self.entries = {}
        self.enabled = False
        self._thread = None
        self._owner = None
        self._lock = threading.Lock()

    def enable(self):
        self.enabled = True
        if self._thread is not None and self._thread.is_alive() and self._owner == os.getpid():
            return
        self._owner = os.getpid()
        self._thread = threading.Thread(target=self._listen, name="pagecache-bumps", daemon=True)
        self._thread.start()

    def disable(self):
        self.enabled = False
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=3)
        self.distrust()

    def get(self, pid):
        version = self.version
        if version is None:
            return None
        item = self.entries.get(pid)
        if item is None or item[0][0] != version or time.monotonic() > item[1]:
            return None
        return item[0]

    def offer(self, pid, entry, version: int):
        """Keep ``entry`` (decoded) if it is current; ``version`` is what Redis just said."""
        if self.version is None:
            return
        self.saw(version)
        if entry[0] != self.version:
            return
        entry = with_identity(entry)
        if len(self.entries) >= conf("PAGE_CACHE_LOCAL_ENTRIES", 256):
            try:
                del self.entries[next(iter(self.entries))]
            except (StopIteration, KeyError, RuntimeError):
                pass
        self.entries[pid] = (entry, time.monotonic() + conf("PAGE_CACHE_LOCAL_TTL", 30))

    def saw(self, version: int):
        with self._lock:  # never lower it: two threads may report different versions
            current = self.version
            if current is not None and version > current:
                self.version = version

    def distrust(self):
        with self._lock:
            self.version = None
            self.entries.clear()

    def trust(self, version: int):
        with self._lock:
            self.version = version

    def _listen(self):
        while self.enabled:
            pubsub = None
            try:
                store = get_store()
                if not isinstance(store, RedisStore):
                    return  # local memory cache: one process, nothing to share
                pubsub = store.client.pubsub()
                pubsub.subscribe(store.channel)
                deadline = time.monotonic() + 5
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "subscribe":
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError("no subscription confirmation")
                # Subscribed first, then read: no bump can fall between the two.
                self.trust(store.version())
                log.info("page copies on in process %s (version %s)", os.getpid(), self.version)
                synced = time.monotonic()
                while self.enabled:
                    message = pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "message":
                        self.saw(int(message["data"]))
                        store.ack(int(message["data"]))  # the bumping process waits for it
                    if time.monotonic() - synced > 5:
                        pubsub.ping()  # a dead connection fails here
                        current = store.version()
                        if self.version is None or current < self.version:
                            # distrusted after a failed bump, or flushed and restarted lower
                            self.distrust()
                            self.trust(current)
                        self.saw(current)
                        synced = time.monotonic()
            except Exception as exc:  # any failure: stop trusting, retry in a second
                self.distrust()
                log.warning("page cache subscription lost, asking Redis each time: %s", exc)
                time.sleep(1)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # already broken
                        pass
        self.distrust()


LOCAL = LocalCopies()


# --- The WSGI layer ---------------------------------------------------------------------


class PageCache:
    """WSGI middleware: anonymous pages from the cache, the queue-time rule for everything.

    Writes ``pivotdesk.queue_ms`` (int or None) and, on cacheable paths,
    ``pivotdesk.content_version`` and ``pivotdesk.page_cache`` (hit/stale/miss/bypass) into the
    environ for the request log and the card fragment cache.
    """

    def __init__(self, app):
        self.app = app
        self.assets = Assets()  # collected static files, indexed once (none with DEBUG on)

    def __call__(self, environ, start_response):
        queue_ms = queue_time_ms(environ)
        environ["pivotdesk.queue_ms"] = queue_ms
        late = queue_ms is not None and queue_ms > conf("QUEUE_TIMEOUT_MS", 10_000)
        if late:
            log.warning(
                "request queued %s ms (limit %s ms): %s %s",
                queue_ms,
                conf("QUEUE_TIMEOUT_MS", 10_000),
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
            )
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        media_url = settings.MEDIA_URL
        if (
            method in ("GET", "HEAD")
            and media_url.startswith("/")
            and path.startswith(media_url)
            and request_host(environ) is not None
        ):
            served = media.serve_wsgi(environ, start_response, path[len(media_url) :])
            if served is not None:
                return served
        # No host check: WhiteNoiseMiddleware, ahead of anything that validates the host,
        # served static files for any Host header too.
        if method in ("GET", "HEAD") and self.assets.wants(path):
            served = self.assets.serve(
                environ, start_response, secure=request_scheme(environ) == "https"
            )
            if served is not None:
                return served
        if (
            method in ("GET", "HEAD")
            and conf("PAGE_CACHE_ENABLED", True)
            and is_cacheable_path(environ.get("PATH_INFO", ""))
            and _available()
        ):
            if has_session_cookie(environ):
                environ["pivotdesk.page_cache"] = "bypass"
                if not late:
                    # Cards rendered for a logged-in visitor are keyed by the version read
                    # before the view reads the database (see request_content_version).
                    environ["pivotdesk.content_version"] = content_version()
            else:
                host = request_host(environ)
                if host is not None:
                    return self.anonymous(environ, start_response, host, late)
        if late:
            return self.busy(start_response)
        return self.app(environ, start_response)

    # A hit, a stale copy, one render, or a short wait for the worker that renders.
    def anonymous(self, environ, start_response, host, late):
        if not bump_settled():
            return self.busy(start_response) if late else self.app(environ, start_response)
        pid = page_id(environ, host)
        local = LOCAL.get(pid)
        if local is not None:
            environ["pivotdesk.content_version"] = local[0]
            return self.replay(environ, start_response, local, HIT)
        try:
            store = get_store()
            version, entry = store.lookup(pid)
        except Exception as exc:
            _redis_failed(exc)
            return self.busy(start_response) if late else self.app(environ, start_response)
        _redis_ok()
        environ["pivotdesk.content_version"] = version
        stale = decode_entry(entry) if entry else None
        if stale is not None and stale[0] == version:
            LOCAL.offer(pid, stale, version)
            return self.replay(environ, start_response, stale, HIT)
        if late:
            if stale is not None:
                return self.replay(environ, start_response, stale, STALE)
            return self.busy(start_response)
        if environ["REQUEST_METHOD"] != "GET":
            return self.app(environ, start_response)
        try:
            token = store.lock(pid, conf("PAGE_CACHE_LOCK_MS", 5000))
        except Exception as exc:
            _redis_failed(exc)
            return self.app(environ, start_response)
        if token:
            try:
                return self.render(environ, start_response, store, pid, version)
            finally:
                try:
                    store.unlock(pid, token)
                except Exception as exc:
                    _redis_failed(exc)
        if stale is not None:
            return self.replay(environ, start_response, stale, STALE)
        # Nothing to show yet: wait briefly for the worker that holds the lock.
        deadline = time.monotonic() + conf("PAGE_CACHE_WAIT_MS", 2000) / 1000
        poll = conf("PAGE_CACHE_POLL_MS", 20) / 1000
        while time.monotonic() < deadline:
            time.sleep(poll)
            try:
                current, entry, locked = store.peek(pid)
            except Exception as exc:
                _redis_failed(exc)
                break
            fresh = decode_entry(entry) if entry else None
            if fresh is not None and fresh[0] == current:
                LOCAL.offer(pid, fresh, current)
                return self.replay(environ, start_response, fresh, HIT)
            if not locked:  # the render ended without a storable page (404, error...)
                break
        return self.render(environ, start_response, store, pid, version)

    def render(self, environ, start_response, store, pid, version):
        """Call Django, keep the whole response, store it when it is the same for everyone."""
        captured = {}
        chunks = []

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return chunks.append

        result = self.app(environ, capture)
        try:
            chunks.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        body = b"".join(chunks)
        status, headers = captured["status"], captured["headers"]
        if storable(environ, status, headers, body):
            stored, kept = compressed(
                [(k, v) for k, v in headers if k.lower() not in _NOT_STORED], body
            )
            entry = (version, status, stored, kept, body)
            try:
                store.save(pid, encode_entry(*entry[:4]), page_ttl())
            except Exception as exc:
                _redis_failed(exc)
            else:
                LOCAL.offer(pid, entry, version)
            return self.replay(environ, start_response, entry, MISS)
        out = [(k, v) for k, v in headers if k.lower() not in ("content-length", "x-page-cache")]
        out += [("Content-Length", str(len(body))), ("X-Page-Cache", MISS)]
        environ["pivotdesk.page_cache"] = MISS
        start_response(status, finalize_headers(environ, out))
        return [body]

    def replay(self, environ, start_response, entry, kind):
        _version, status, headers, body, *identity = entry
        if is_gzipped(headers) and not accepts_gzip(environ):
            headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
            body = identity[0] if identity else gzip.decompress(body)
        environ["pivotdesk.page_cache"] = kind
        headers = [*headers, ("Content-Length", str(len(body))), ("X-Page-Cache", kind)]
        start_response(status, finalize_headers(environ, headers))
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def busy(self, start_response):
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(BUSY_BODY))),
                ("Retry-After", str(conf("QUEUE_RETRY_AFTER_S", 5))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [BUSY_BODY]


def page_ttl() -> int:
    return conf("PAGE_CACHE_TTL", 3600)


def storable(environ, status: str, headers, body: bytes) -> bool:
    """Only what any anonymous visitor would get: 200, no cookie, not private, no Vary."""
    if environ["REQUEST_METHOD"] != "GET" or not status.startswith("200"):
        return False
    if len(body) > conf("PAGE_CACHE_MAX_BYTES", 1_000_000):
        return False
    for name, value in headers:
        name = name.lower()
        if name == "set-cookie" or name == "content-encoding":
            return False
        if name == "cache-control" and any(
            word in value.lower() for word in ("private", "no-store", "no-cache")
        ):
            return False
        if name == "vary" and any(
            v.strip().lower() not in ("accept-encoding", "")
            for v in value.split(",")  # anything else would need to be in the key
        ):
            return False
    return True


def compressed(headers: list, body: bytes) -> tuple[list, bytes]:
    """A page as it is kept: gzipped (Content-Encoding) unless small, and in either case
    with Vary: Accept-Encoding, since whoever takes gzip gets it. ``mtime=0``: the same page
    compresses to the same bytes."""
    vary = [v.strip() for k, v in headers if k.lower() == "vary" for v in v.split(",")]
    vary = [v for v in vary if v and v.lower() != "accept-encoding"]
    headers = [(k, v) for k, v in headers if k.lower() != "vary"]
    headers.append(("Vary", ", ".join([*vary, "Accept-Encoding"])))
    if len(body) < GZIP_MIN_BYTES:
        return headers, body
    return [*headers, ("Content-Encoding", "gzip")], gzip.compress(body, compresslevel=6, mtime=0)


def is_gzipped(headers) -> bool:
    return any(k.lower() == "content-encoding" and v == "gzip" for k, v in headers)


def with_identity(entry: tuple) -> tuple:
    """``entry`` with its body as sent to a client without gzip as a fifth item: a worker's
    copy decompresses once, not on every such request (wrk, curl, some bots)."""
    if len(entry) > 4:
        return entry
    body = entry[3]
    return (*entry, gzip.decompress(body) if is_gzipped(entry[2]) else body)


def accepts_gzip(environ) -> bool:
    """Whether Accept-Encoding takes gzip (RFC 9110: named, or ``*``, with a q above 0)."""
    named = star = None
    for item in environ.get("HTTP_ACCEPT_ENCODING", "").lower().split(","):
        coding, _, params = item.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        coding = coding.strip()
        if coding in ("gzip", "x-gzip"):
            named = quality > 0
        elif coding == "*":
            star = quality > 0
    return named if named is not None else bool(star)


def finalize_headers(environ, headers):
    """Per-request adjustments. Behind the basic-auth beta gate a shared cache must not keep
    the page (it would hand it to visitors without the password): make it private."""
    if "HTTP_AUTHORIZATION" in environ:
        headers = [
            ("Cache-Control", "private, max-age=0") if k.lower() == "cache-control" else (k, v)
            for k, v in headers
        ]
    return headers
