"""Uploaded media served by the app when there is no S3 bucket, also with DEBUG off.

A guarded view rather than ``django.conf.urls.static`` (DEBUG only) or WhiteNoise (which
indexes files at start-up and would not see new uploads): files only, no directory
listing, no way out of MEDIA_ROOT. Photo variants carry a content hash in their name
(listings.services.photo_create), so they are cached for a year as immutable.
"""

import mimetypes
import os
import re
import threading
import time
from pathlib import PurePosixPath
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.urls import path as url_path
from django.utils._os import safe_join
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

IMMUTABLE = re.compile(r"-(card|hero)-[0-9a-f]{12}\.(jpg|webp)$")
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
ORIGINAL_CACHE = "public, max-age=3600"


def media_file(name: str) -> str:
    """The absolute path of the media file ``name``; Http404 for anything but a plain file
    inside MEDIA_ROOT."""
    if (
        not name
        or "\x00" in name
        or "\\" in name
        or name.startswith("/")
        or ".." in PurePosixPath(name).parts
        or any(part.startswith(".") for part in PurePosixPath(name).parts)
    ):
        raise Http404("No such file")
    try:
        full = safe_join(os.fspath(settings.MEDIA_ROOT), name)
    except (SuspiciousFileOperation, ValueError) as exc:
        raise Http404("No such file") from exc
    if not os.path.isfile(full):
        raise Http404("No such file")
    return full


@require_safe
def serve(request, name):
    full = media_file(name)
    stat = os.stat(full)
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), stat.st_mtime):
        return HttpResponseNotModified()
    content_type, _encoding = mimetypes.guess_type(full)
    response = FileResponse(
        open(full, "rb"), content_type=content_type or "application/octet-stream"
    )
    response["Last-Modified"] = http_date(stat.st_mtime)
    response["Cache-Control"] = IMMUTABLE_CACHE if IMMUTABLE.search(name) else ORIGINAL_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Photo variants are small (a card WebP is ~5 KB) and never change under their name (it
# carries a hash of the content), so each process keeps the ones it serves in memory for a
# minute: an image then costs no stat, open, read or close. Under load every such system call
# gives up the GIL, and getting it back behind a thread that renders a page took up to the
# switch interval (5 ms) each. Originals are always read from disk. A deleted photo's variant
# can be answered from here for up to KEPT_SECONDS, as browsers and CDNs, told "immutable",
# keep it for a year.
KEPT_SECONDS = 60
KEPT_FILE_BYTES = 256 * 1024
KEPT_TOTAL_BYTES = 32 * 1024 * 1024


class _Kept(NamedTuple):
    expires: float
    mtime: float
    headers: list[tuple[str, str]]  # those of a 304 too
    content_type: str
    body: bytes


_kept: dict[str, _Kept] = {}
_kept_lock = threading.Lock()


def _keep(key: str, full: str, stat: os.stat_result) -> _Kept | None:
    """Read the variant at ``full`` into this process's memory (None if it cannot be read)."""
    try:
        with open(full, "rb") as handle:
            body = handle.read(KEPT_FILE_BYTES + 1)
    except OSError:
        return None
    if len(body) != stat.st_size:  # replaced or grown while we looked
        return None
    content_type, _encoding = mimetypes.guess_type(full)
    kept = _Kept(
        expires=time.monotonic() + KEPT_SECONDS,
        mtime=stat.st_mtime,
        headers=[
            ("Cache-Control", IMMUTABLE_CACHE),
            ("Last-Modified", http_date(stat.st_mtime)),
            ("X-Content-Type-Options", "nosniff"),
        ],
        content_type=content_type or "application/octet-stream",
        body=body,
    )
    with _kept_lock:
        if sum(len(other.body) for other in _kept.values()) + len(body) > KEPT_TOTAL_BYTES:
            _kept.clear()  # rare (32 MB of images in a minute): start over, still bounded
        _kept[key] = kept
    return kept


def serve_wsgi(environ, start_response, name: str):
    """The same, straight from the WSGI layer (pivotdesk.pagecache), before Django builds a
    request: a photo variant comes from memory (above), anything else costs a stat and a
    sendfile, so assets never queue behind pages. Returns None when Django should answer
    instead (missing file, odd request): its 404."""
    key = f"{settings.MEDIA_ROOT}\x00{name}"
    kept = _kept.get(key)
    if kept is None or kept.expires < time.monotonic():
        try:
            full = media_file(name)
            stat = os.stat(full)
        except (Http404, OSError):
            return None
        kept = None
        if IMMUTABLE.search(name) and stat.st_size <= KEPT_FILE_BYTES:
            kept = _keep(key, full, stat)
        if kept is None:
            return _serve_file(environ, start_response, name, full, stat)
    if not was_modified_since(environ.get("HTTP_IF_MODIFIED_SINCE"), kept.mtime):
        start_response("304 Not Modified", list(kept.headers))
        return []
    start_response(
        "200 OK",
        [
            *kept.headers,
            ("Content-Type", kept.content_type),
            ("Content-Length", str(len(kept.body))),
        ],
    )
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [kept.body]


def _serve_file(environ, start_response, name: str, full: str, stat: os.stat_result):
    headers = [
        ("Cache-Control", IMMUTABLE_CACHE if IMMUTABLE.search(name) else ORIGINAL_CACHE),
        ("Last-Modified", http_date(stat.st_mtime)),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if not was_modified_since(environ.get("HTTP_IF_MODIFIED_SINCE"), stat.st_mtime):
        start_response("304 Not Modified", headers)
        return []
    content_type, _encoding = mimetypes.guess_type(full)
    headers += [
        ("Content-Type", content_type or "application/octet-stream"),
        ("Content-Length", str(stat.st_size)),
    ]
    start_response("200 OK", headers)
    if environ["REQUEST_METHOD"] == "HEAD":
        return []
    handle = open(full, "rb")  # closed by the server through the wrapper
    wrapper = environ.get("wsgi.file_wrapper")
    return wrapper(handle, 65536) if wrapper else _chunks(handle)


def _chunks(handle):
    with handle:
        while chunk := handle.read(65536):
            yield chunk


def urlpatterns():
    """``/media/<name>`` when media live on local disk (MEDIA_URL is /media/); none with S3."""
    if not settings.MEDIA_URL.startswith("/"):
        return []
    return [url_path(f"{settings.MEDIA_URL.lstrip('/')}<path:name>", serve, name="media")]
