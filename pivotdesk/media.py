"""Uploaded media served by the app when there is no S3 bucket, also with DEBUG off.

A guarded view rather than ``django.conf.urls.static`` (DEBUG only) or WhiteNoise (which
indexes files at start-up and would not see new uploads): files only, no directory
listing, no way out of MEDIA_ROOT. Photo variants carry a content hash in their name
(listings.services.variants_write), so they are cached for a year as immutable.
"""

import mimetypes
import os
import re
from pathlib import PurePosixPath

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


def urlpatterns():
    """``/media/<name>`` when media live on local disk (MEDIA_URL is /media/); none with S3."""
    if not settings.MEDIA_URL.startswith("/"):
        return []
    return [url_path(f"{settings.MEDIA_URL.lstrip('/')}<path:name>", serve, name="media")]
