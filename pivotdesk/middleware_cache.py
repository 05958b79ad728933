"""Cache headers: anonymous pages a CDN may share, logged-in pages nobody shares. In
MIDDLEWARE before SessionMiddleware: it sees the session's ``Vary: Cookie`` and cookies."""

from django.conf import settings
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers

from .pagecache import request_content_version


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for text only: photos and files are compressed already."""

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith(("text/", "application/xml")):
            return super().process_response(request, response)
        return response


def is_cached_page(request) -> bool:
    return getattr(request.resolver_match, "view_name", None) in settings.PAGE_CACHE_PAGES


class CacheHeadersMiddleware:
    """No session cookie, a page in PAGE_CACHE_PAGES, 200, no cookie set: no ``Vary: Cookie``
    (nothing to vary on) and PAGE_CACHE_CONTROL. A session cookie or a cookie set: private.
    Log in or out: ``Clear-Site-Data: "cache"`` drops the browser's anonymous copies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_cached_page(request):
            # Before the view reads the database: cards and counts it caches are keyed by
            # a version never newer than what they show.
            request_content_version(request)

    def __call__(self, request):
        response = self.get_response(request)
        name = settings.SESSION_COOKIE_NAME
        sent = request.COOKIES.get(name)
        morsel = response.cookies.get(name)
        if morsel is not None and morsel.value != (sent or ""):
            response["Clear-Site-Data"] = '"cache"'
        if sent or (response.cookies and is_cached_page(request)):
            patch_cache_control(response, private=True)
        elif (
            not response.cookies
            and request.method in ("GET", "HEAD")
            and response.status_code == 200
            and is_cached_page(request)
            and not any(w in response.get("Cache-Control", "") for w in ("private", "no-"))
        ):
            vary = [v.strip() for v in response.get("Vary", "").split(",")]
            del response["Vary"]
            if vary := [v for v in vary if v and v.lower() != "cookie"]:
                patch_vary_headers(response, vary)
            response["Cache-Control"] = settings.PAGE_CACHE_CONTROL
        return response
