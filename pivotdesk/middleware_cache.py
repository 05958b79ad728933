"""Cache headers: anonymous pages a CDN may share, logged-in pages nobody shares.

Sits in MIDDLEWARE before SessionMiddleware, so it sees the response after the session and
CSRF middleware have added their ``Vary: Cookie`` and cookies.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers

from .pagecache import DEFAULT_CACHE_CONTROL, is_cacheable_path


class CacheHeadersMiddleware:
    """Anonymous visitor (no session cookie), cacheable path, 200, no cookie set:
    drop ``Vary: Cookie`` (SessionMiddleware adds it as soon as a template reads ``user``,
    but without a session cookie there is nothing the page could vary on) and send
    PAGE_CACHE_CONTROL. A response that sets a cookie is personal: ``private``.

    Visitor with a session cookie: ``private`` everywhere. When the session key changes (log
    in, log out) ``Clear-Site-Data: "cache"`` drops anonymous copies the browser may still
    hold for up to max-age, so a visitor who just logged in does not see "Log in".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        name = settings.SESSION_COOKIE_NAME
        sent = request.COOKIES.get(name)
        morsel = response.cookies.get(name)
        if morsel is not None and morsel.value != (sent or ""):
            response["Clear-Site-Data"] = '"cache"'
        if sent:
            patch_cache_control(response, private=True)
            return response
        if response.cookies:
            if is_cacheable_path(request.path_info):
                patch_cache_control(response, private=True)
            return response
        if (
            request.method in ("GET", "HEAD")
            and response.status_code == 200
            and is_cacheable_path(request.path_info)
        ):
            _drop_vary_cookie(response)
            cache_control = response.get("Cache-Control", "")
            if not any(w in cache_control for w in ("private", "no-store", "no-cache")):
                response["Cache-Control"] = getattr(
                    settings, "PAGE_CACHE_CONTROL", DEFAULT_CACHE_CONTROL
                )
        return response


def _drop_vary_cookie(response):
    if not response.has_header("Vary"):
        return
    kept = [v.strip() for v in response["Vary"].split(",") if v.strip().lower() != "cookie"]
    del response["Vary"]
    if kept:
        patch_vary_headers(response, kept)
