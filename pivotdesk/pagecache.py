"""Anonymous pages served whole from the cache, by a thin WSGI layer in front of Django.

A GET or HEAD without a session cookie, for a view in ``PAGE_CACHE_PAGES``, is keyed on what
Django's own request says: release, ``scheme``, validated ``get_host()``, ``path`` (links),
``path_info`` (routing), gzip or not, and only the query parameters that page reads. A hit
is one MGET (content version, entry), served while its version is current;
``public_content_changed`` bumps it, and the next request renders once under a lock while
others serve the previous copy. A request queued longer than QUEUE_TIMEOUT_MS gets 503 at
once unless a copy answers it. Why: docs/decisions/0001-page-cache-before-django.md.
"""

import functools
import hashlib
import logging
import math
import re
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.wsgi import WSGIRequest
from django.db import transaction
from django.dispatch import Signal
from django.urls import Resolver404, resolve

log = logging.getLogger(__name__)

HIT, STALE, MISS = "hit", "stale", "miss"
VERSION_KEY = "pc:version"
# What Django's GZipMiddleware looks for: whether a page came gzipped is part of its key.
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
NOT_STORED = {"content-length", "date", "set-cookie", "connection", "x-page-cache"}
BUSY_BODY = b"<!doctype html><title>Busy</title><p>PivotDesk is very busy: try again shortly.\n"


@functools.cache
def _manifest_digest() -> str:
    try:
        data = (Path(settings.STATIC_ROOT) / "staticfiles.json").read_bytes()
    except (OSError, TypeError):
        return "dev"
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def release_id() -> str:
    """The platform's release id (settings.RELEASE_ID), else a digest of the manifest
    ``collectstatic`` wrote at build: a new release starts with pages of its own."""
    return settings.RELEASE_ID or _manifest_digest()


class _Health:
    """Per process: a few errors in a row skip the cache a moment; a failed bump, till made."""

    def __init__(self):
        self.failures = 0
        self.down_until = 0.0
        self.owed = threading.Event()

    def failed(self, exc):
        self.failures += 1
        if self.failures >= getattr(settings, "PAGE_CACHE_ERRORS_TO_TRIP", 3):
            self.failures = 0
            self.down_until = time.monotonic() + settings.PAGE_CACHE_RETRY_AFTER_ERROR_S
            log.warning("page cache unavailable, serving uncached for a moment: %r", exc)

    def ready(self) -> bool:
        if time.monotonic() >= self.down_until and self.owed.is_set():
            _bump()
        return time.monotonic() >= self.down_until and not self.owed.is_set()


HEALTH = _Health()


def _read_version(cache) -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Never restart at 0 after a flush or an eviction: an old entry could match again.
        cache.add(VERSION_KEY, int(time.time() * 1000), timeout=None)
        version = cache.get(VERSION_KEY, 0)
    return int(version)


def _bump():
    try:
        cache = caches["pages"]  # the same server as ``default``, but its errors raise
        _read_version(cache)
        cache.incr(VERSION_KEY)
    except Exception as exc:  # owed: no cached page until it is made
        HEALTH.owed.set()
        HEALTH.failed(exc)
        log.error("content version not bumped (cache unreachable), will retry: %r", exc)
    else:
        HEALTH.owed.clear()


# Sent (in the caller's transaction) by public_content_changed; a CDN app purges on it.
content_changed = Signal()


def public_content_changed(*, using: str | None = None, instance=None) -> None:
    """Say that something public pages show changed (a listing, photos, places, free desks):
    the content version is bumped on commit (at once outside a transaction), so the next
    request renders pages and cards afresh; a CDN in front purges the pages showing
    ``instance`` (all public pages when None). Not for what no public page shows (a request)."""
    transaction.on_commit(_bump, using=using)
    content_changed.send(sender=type(instance) if instance is not None else None, instance=instance)


content_version_bump = _bump  # now, e.g. after a bulk_create outside a transaction


def content_version() -> int | None:
    """The current content version; None when the cache is off or unreachable."""
    if not settings.PAGE_CACHE_ENABLED or not HEALTH.ready():
        return None
    try:
        return _read_version(caches["pages"])
    except Exception as exc:
        HEALTH.failed(exc)
        return None


def request_content_version(request) -> int | None:
    """The content version ``request``'s cards and counts are cached under, read once per
    request (before the view, by CacheHeadersMiddleware). None: render all, store nothing."""
    if request is None:
        return None
    if not hasattr(request, "pivotdesk_content_version"):
        request.pivotdesk_content_version = content_version()
    return request.pivotdesk_content_version


@functools.lru_cache(maxsize=1024)  # a hit then costs no URL resolving
def page_params(path_info: str) -> tuple[str, ...] | None:
    """The query parameters the page at ``path_info`` reads, or None when it is not kept."""
    try:
        return settings.PAGE_CACHE_PAGES.get(resolve(path_info).view_name)
    except Resolver404:
        return None


def normalized_query(query, params) -> str:
    """The parameters a page reads, as it reads them: a single one's last value (as
    ``QueryDict.get``), a repeatable one's (``name*``) distinct values; no empty values."""
    pairs = []
    for param in sorted(params):
        name = param.rstrip("*")
        values = query.getlist(name)
        values = sorted(set(values)) if param.endswith("*") else values[-1:]
        pairs += [(name, value) for value in values if value]
    return urlencode(pairs)


def page_key(request, params) -> str:
    """Raises SuspiciousOperation (DisallowedHost, TooManyFieldsSent) as Django would."""
    parts = (release_id(), request.scheme, request.get_host(), request.path, request.path_info)
    gzip = bool(ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))
    raw = "\n".join((*parts, normalized_query(request.GET, params), str(gzip)))
    return "pc:page:" + hashlib.blake2b(raw.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def queue_time_ms(environ, now: float | None = None) -> int | None:
    """Router queue time from X-Request-Start (s/ms/µs/ns, ``t=`` or not); None if absurd."""
    try:
        start = float(environ.get("HTTP_X_REQUEST_START", "").strip().removeprefix("t="))
    except ValueError:
        return None
    if not math.isfinite(start) or start <= 1e8:
        return None
    while start > 1e14:  # µs or ns to ms
        start /= 1000
    start_ms = start * 1000 if start < 1e11 else start
    waited = (time.time() if now is None else now) * 1000 - start_ms
    return max(0, round(waited)) if -60_000 < waited < 3_600_000 else None


def storable(environ, status: str, headers, body: bytes) -> bool:
    """Only what any anonymous visitor would get: 200, no cookie, not private, no Vary."""
    if environ["REQUEST_METHOD"] != "GET" or not status.startswith("200"):
        return False
    if len(body) > getattr(settings, "PAGE_CACHE_MAX_BYTES", 1_000_000):
        return False
    for name, value in headers:
        name, value = name.lower(), value.lower()
        if name == "set-cookie":
            return False
        if name == "cache-control" and any(w in value for w in ("private", "no-store", "no-cache")):
            return False
        if name == "vary" and value.replace("accept-encoding", "").strip(" ,"):
            return False  # it would have to be in the key
    return True


class PageCache:
    """WSGI middleware. Says how it answered in ``environ["pivotdesk.page_cache"]``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        queue_ms = queue_time_ms(environ)
        late = queue_ms is not None and queue_ms > settings.QUEUE_TIMEOUT_MS
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and getattr(
            settings, "PAGE_CACHE_ENABLED", True
        ):
            request = WSGIRequest(environ)
            params = page_params(request.path_info)
            if params is not None and request.COOKIES.get(settings.SESSION_COOKIE_NAME):
                environ["pivotdesk.page_cache"] = "bypass"  # logged in: never a shared copy
            elif params is not None:
                try:
                    key = page_key(request, params)
                except SuspiciousOperation:  # a host or a query Django refuses: its 400
                    key = None
                if key is not None and HEALTH.ready():
                    return self.anonymous(environ, start_response, key, late)
        if late:
            return self.busy(start_response)
        return self.app(environ, start_response)

    def anonymous(self, environ, start_response, key, late):
        cache = caches["pages"]
        try:
            found = cache.get_many([VERSION_KEY, key])
            version = found.get(VERSION_KEY)
            version = _read_version(cache) if version is None else int(version)
        except Exception as exc:
            HEALTH.failed(exc)
            return self.busy(start_response) if late else self.app(environ, start_response)
        HEALTH.failures = 0
        entry = found.get(key)
        if entry is not None and entry[0] == version:
            return self.replay(environ, start_response, entry, HIT)
        if late or environ["REQUEST_METHOD"] != "GET":
            if entry is not None:
                return self.replay(environ, start_response, entry, STALE)
            return self.busy(start_response) if late else self.app(environ, start_response)
        lock = key + ":lock"
        try:
            mine = cache.add(lock, 1, timeout=settings.PAGE_CACHE_LOCK_MS / 1000)
        except Exception as exc:
            HEALTH.failed(exc)
            return self.app(environ, start_response)
        if not mine and entry is not None:
            return self.replay(environ, start_response, entry, STALE)
        if not mine and (entry := self.wait(cache, key, lock)) is not None:
            return self.replay(environ, start_response, entry, HIT)
        try:
            return self.render(environ, start_response, cache, key, version)
        finally:
            if mine:
                try:
                    cache.delete(lock)
                except Exception as exc:
                    HEALTH.failed(exc)

    def wait(self, cache, key, lock):
        """The entry another worker is rendering, if it arrives within PAGE_CACHE_WAIT_MS."""
        deadline = time.monotonic() + settings.PAGE_CACHE_WAIT_MS / 1000
        while time.monotonic() < deadline:
            time.sleep(getattr(settings, "PAGE_CACHE_POLL_MS", 20) / 1000)
            try:
                found = cache.get_many([VERSION_KEY, key, lock])
            except Exception as exc:
                HEALTH.failed(exc)
                return None
            entry = found.get(key)
            if entry is not None and entry[0] == found.get(VERSION_KEY):
                return entry
            if lock not in found:  # that render ended without a page to keep (404...)
                return None
        return None

    def render(self, environ, start_response, cache, key, version):
        """Call Django; keep the response when it is the same for every anonymous visitor."""
        captured, chunks = [], []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers]
            return chunks.append

        result = self.app(environ, capture)
        try:
            chunks.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = captured
        body = b"".join(chunks)
        if storable(environ, status, headers, body):
            kept = [(k, v) for k, v in headers if k.lower() not in NOT_STORED]
            entry = (version, status, kept, body)
            try:
                cache.set(key, entry, settings.PAGE_CACHE_TTL)
            except Exception as exc:
                HEALTH.failed(exc)
            return self.replay(environ, start_response, entry, MISS)
        return self.replay(environ, start_response, (version, status, headers, body), MISS)

    def replay(self, environ, start_response, entry, kind):
        _version, status, headers, body = entry
        if "HTTP_AUTHORIZATION" in environ:
            # Behind the beta gate a shared cache must not keep what the password opened.
            headers = [h for h in headers if h[0].lower() != "cache-control"]
            headers.append(("Cache-Control", "private, max-age=0"))
        environ["pivotdesk.page_cache"] = kind
        headers = [h for h in headers if h[0].lower() != "content-length"]
        headers += [("Content-Length", str(len(body))), ("X-Page-Cache", kind)]
        start_response(status, headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def busy(self, start_response):
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
        headers += [("Retry-After", str(settings.QUEUE_RETRY_AFTER_S))]
        headers.append(("Content-Length", str(len(BUSY_BODY))))
        start_response("503 Service Unavailable", headers)
        return [BUSY_BODY]
