"""Test settings: base.py with overrides for speed only (DATABASE_URL/REDIS_URL still apply)."""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
# The test client and live servers speak plain HTTP (cookies lose Secure with it).
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# pytest-xdist: each worker its own Redis database (the next ones after REDIS_URL's), as
# pytest-django gives each its own test database; a test's cache.clear() flushes only its own.
# Once per worker: servers a test starts inherit the environment, already moved.
xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if (
    xdist_worker.startswith("gw")
    and os.environ.get("REDIS_URL")
    and os.environ.get("PIVOTDESK_REDIS_PER_WORKER") != xdist_worker
):
    scheme, netloc, path, query, fragment = urlsplit(os.environ["REDIS_URL"])
    db = int(path.strip("/") or 0) + 1 + int(xdist_worker.removeprefix("gw"))
    os.environ["REDIS_URL"] = urlunsplit((scheme, netloc, f"/{db}", query, fragment))
    os.environ["PIVOTDESK_REDIS_PER_WORKER"] = xdist_worker

from .base import *  # noqa: E402,F403
from .base import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
