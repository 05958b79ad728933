"""Cache headers: anonymous pages a CDN may share, logged-in pages nobody shares.

Sits in MIDDLEWARE before SessionMiddleware, so it sees the response after the session and
CSRF middleware have added their ``Vary: Cookie`` and cookies.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers

from .pagecache import request_content_version


def is_cached_page(request) -> bool:
    match = request.resolver_match
    return match is not None and match.view_name in settings.PAGE_CACHE_PAGES


class CacheHeadersMiddleware:
    """Anonymous visitor (no session cookie), a page in PAGE_CACHE_PAGES, 200, no cookie set:
    drop ``Vary: Cookie`` (SessionMiddleware adds it as soon as a template reads ``user``;
    without a session cookie there is nothing to vary on) and send PAGE_CACHE_CONTROL.
    A response that sets a cookie is personal: ``private``.

    Visitor with a session cookie: ``private`` everywhere. When the session key changes (log
    in, log out) ``Clear-Site-Data: "cache"`` drops anonymous copies the browser may hold.
    """

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
            patch_vary_headers(response, [v for v in vary if v and v.lower() != "cookie"])
            response["Cache-Control"] = settings.PAGE_CACHE_CONTROL
        return response
