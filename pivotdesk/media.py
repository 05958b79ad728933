"""Uploaded photos served by the app when there is no S3 bucket (a laptop, a review app):
Django's ``django.views.static.serve`` (paths kept inside MEDIA_ROOT, If-Modified-Since) plus
cache headers; variants carry a content hash in their name, so they are immutable."""

import re

from django.conf import settings
from django.http import Http404
from django.urls import path
from django.views.decorators.http import require_safe
from django.views.static import serve as static_serve

IMMUTABLE = re.compile(r"-(card|hero)-[0-9a-f]{12}\.(jpg|webp)$")
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
ORIGINAL_CACHE = "public, max-age=3600"


@require_safe
def serve(request, name):
    if any(part.startswith(".") for part in name.split("/")):
        raise Http404("No such file")  # no dotfiles (an editor's or a tool's leftovers)
    response = static_serve(request, name, document_root=settings.MEDIA_ROOT)
    if response.status_code == 200:
        response["Cache-Control"] = IMMUTABLE_CACHE if IMMUTABLE.search(name) else ORIGINAL_CACHE
    return response


def urlpatterns():
    """``/media/<name>`` when media live on local disk (MEDIA_URL is a path); none with S3."""
    if not settings.MEDIA_URL.startswith("/"):
        return []
    return [path(f"{settings.MEDIA_URL.lstrip('/')}<path:name>", serve, name="media")]
