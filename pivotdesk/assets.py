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
# Collected files up to this size are served from memory (all of ours: the largest, Leaflet,
# is ~150 KB); a bigger one is streamed from disk as before.
KEPT_FILE_BYTES = 512 * 1024


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
        self.bodies: dict[str, bytes] = {}
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

    def read(self, file_path: str) -> bytes | None:
        """The content of a collected file (or its compressed copy), kept in memory after the
        first read: no open, read or close per request, each of which gives up the GIL under
        load. collectstatic's output does not change while the process runs (WhiteNoise's
        index, built at start-up, assumes the same). None for files over KEPT_FILE_BYTES."""
        body = self.bodies.get(file_path)
        if body is None:
            try:
                with open(file_path, "rb") as handle:
                    body = handle.read(KEPT_FILE_BYTES + 1)
            except OSError:
                return None
            if len(body) > KEPT_FILE_BYTES:
                return None
            self.bodies[file_path] = body
        return body

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
        extra = [*self.headers]
        if self.hsts and secure:
            extra.append(("Strict-Transport-Security", self.hsts))
        if (
            environ["REQUEST_METHOD"] == "GET"
            and not environ.get("HTTP_RANGE")
            and not static_file.is_not_modified(environ)
        ):
            # The usual request, answered as StaticFile.get_response would (the encoding
            # the client accepts), the body from memory.
            file_path, headers = static_file.get_path_and_headers(environ)
            body = self.read(file_path)
            if body is not None:
                start_response("200 OK", [*headers, *extra])
                return [body]
        response = static_file.get_response(environ["REQUEST_METHOD"], environ)
        start_response(f"{response.status} {response.status.phrase}", [*response.headers, *extra])
        if response.file is None:
            return []
        wrapper = environ.get("wsgi.file_wrapper", FileWrapper)
        return wrapper(response.file)
