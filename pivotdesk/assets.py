"""Collected static files served from the WSGI layer (pivotdesk.pagecache), before Django.

In a spike most requests are CSS, JS and images. Through Django each one cost a WSGIRequest
and the middleware stack (SecurityMiddleware, CSP...) before WhiteNoiseMiddleware answered;
here it costs a dict lookup and a sendfile, like /media/ (pivotdesk.media).

The files, content types, brotli/gzip negotiation, ETag/Last-Modified/304 are WhiteNoise's,
configured from the same settings as ``WhiteNoiseMiddleware`` (it *is* one, never called as
middleware): the STATIC_ROOT that ``collectstatic`` wrote, indexed once at start-up. Only
files in that index are served; anything else (unknown names, ``..``, encoded escapes,
directories) returns None and Django answers it (its 404).

Cache-Control: a name carrying the manifest's content hash gets
``public, max-age=31536000, immutable``; any other name ``public, max-age=WHITENOISE_MAX_AGE``
(WhiteNoise's default, 60 s), since its content can change under the same URL.

Security headers: of what Django's SecurityMiddleware adds, a static response needs
``X-Content-Type-Options: nosniff`` (SECURE_CONTENT_TYPE_NOSNIFF: a browser must not run a
file as a type it was not sent as) and, on a secure request, ``Strict-Transport-Security``
(SECURE_HSTS_*, as SecurityMiddleware sends it). CSP, X-Frame-Options, Referrer-Policy and
COOP govern documents; CSS, JS and images are not documents, so they are left out.
A plain-http request when SECURE_SSL_REDIRECT is on is not served here: Django redirects it.

With DEBUG on nothing is served here: WhiteNoiseMiddleware (with finders and autorefresh)
keeps answering inside Django, as before.
"""

from wsgiref.util import FileWrapper

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware

IMMUTABLE_CACHE = "public, max-age=31536000, immutable"


class StaticFiles(WhiteNoiseMiddleware):
    def add_cache_headers(self, headers, path, url):
        if self.immutable_file_test(path, url):
            headers["Cache-Control"] = IMMUTABLE_CACHE
        elif self.max_age is not None:
            headers["Cache-Control"] = f"public, max-age={self.max_age}"


class Assets:
    """``serve(environ, start_response)``: a response iterable, or None when Django should
    answer instead."""

    def __init__(self):
        self.files = None
        if settings.DEBUG:
            return
        whitenoise = StaticFiles()
        self.files = whitenoise.files
        self.prefix = whitenoise.static_prefix
        self.headers = []
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            self.headers.append(("X-Content-Type-Options", "nosniff"))
        self.hsts = None
        if settings.SECURE_HSTS_SECONDS:
            self.hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                self.hsts += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                self.hsts += "; preload"

    def wants(self, path: str) -> bool:
        return self.files is not None and path.startswith(self.prefix)

    def serve(self, environ, start_response, *, secure: bool):
        if settings.SECURE_SSL_REDIRECT and not secure:
            return None
        try:
            # PATH_INFO is latin-1 decoded bytes (PEP 3333); the index is keyed by str paths.
            path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        except UnicodeError:
            return None
        static_file = self.files.get(path)
        if static_file is None:
            return None
        response = static_file.get_response(environ["REQUEST_METHOD"], environ)
        headers = [*response.headers, *self.headers]
        if self.hsts and secure:
            headers.append(("Strict-Transport-Security", self.hsts))
        start_response(f"{response.status} {response.status.phrase}", headers)
        if response.file is None:
            return []
        wrapper = environ.get("wsgi.file_wrapper", FileWrapper)
        return wrapper(response.file)
