"""The code version: what this process's pages are made from, other than the content.

Cached pages (pivotdesk.pagecache), listing cards (listings.cards) and search counts are
keyed by the content version, which edits bump. A deploy changes none of the content, but it
may change every page: its templates, its views, the hashed names of the CSS and JS the
pages link to (the new slug has only its own: a page kept from the last release would link
to a stylesheet that answers 404), or a setting a page shows (``STATIC_HOST``, ``SITE_URL``,
the CSP). So each of those keys also names the code version, and a new release starts with
a cold page cache of its own, rendering each page once — while the release it replaces keeps
its own keys until its dynos stop.

The code version is a digest of:

- every file of the project's apps and template directories (not their tests), and the
  staticfiles manifest when there is one (the hashed names);
- the versions of Django and django-filter (they write part of the markup);
- every setting whose value is plain data (strings, numbers, lists and dicts of them).
  Paths are left out (``*_ROOT``, ``*_DIR(S)``, ``*_PATHS`` and Path values: where the
  slug is unpacked changes no page), and so are objects: their repr may carry a memory
  address, which would differ between dynos and split the shared cache. Credentials and
  connections are left out too (``DATABASES``, ``CACHES``, ``MAILERS``, ``REDIS_URL``, names
  with SECRET, PASSWORD, TOKEN or DSN): the platform rotates database credentials, which
  changes no page.

It is the same on every dyno and every worker of one release, and worked out once per
process (in gunicorn's master before the fork, pivotdesk.warmup): ~140 files, ~20 ms.
"""

import datetime
import functools
import hashlib
import importlib.metadata
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings

SKIPPED_DIRS = {"tests", "__pycache__", "node_modules"}
DIGEST_BYTES = 8
PLAIN = (str, int, float, bool, type(None), datetime.timedelta)
PACKAGES = ("django", "django-filter")
NOT_ON_PAGES = re.compile(
    r"SECRET|PASSWORD|TOKEN|DSN|^DATABASES$|^CACHES$|^MAILERS$|^REDIS_URL$|^SETTINGS_MODULE$"
    r"|_ROOT$|_DIRS?$|_PATHS$"
)


def source_roots() -> list[Path]:
    """The project's app directories (those directly in BASE_DIR: not installed packages,
    whose versions are in PACKAGES where they shape pages) and template directories."""
    base = Path(settings.BASE_DIR).resolve()
    roots = {
        Path(config.path).resolve()
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == base
    }
    for engine in settings.TEMPLATES:
        roots.update(Path(directory).resolve() for directory in engine.get("DIRS", []))
    return sorted(roots)


def source_files(roots: list[Path]) -> list[Path]:
    files = set()
    for root in roots:
        for path in root.rglob("*"):
            parts = path.relative_to(root).parts
            if path.is_file() and not SKIPPED_DIRS.intersection(parts) and path.suffix != ".pyc":
                files.add(path)
    return sorted(files)


def manifest_path() -> Path | None:
    """The staticfiles manifest (hashed names) when collectstatic wrote one."""
    path = Path(settings.STATIC_ROOT or "") / "staticfiles.json"
    return path if settings.STATIC_ROOT and path.is_file() else None


def _plain(value) -> bool:
    if isinstance(value, PLAIN):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(_plain(key) and _plain(item) for key, item in value.items())
    return False


def _canonical(value) -> str:
    if isinstance(value, set | frozenset):
        return "{" + ",".join(sorted(_canonical(item) for item in value)) + "}"
    if isinstance(value, dict):
        items = sorted((_canonical(k), _canonical(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    return repr(value)


def settings_digest_input() -> str:
    """The plain-data settings, one ``NAME=value`` line each, sorted by name."""
    lines = []
    for name in sorted(dir(settings)):
        if name.isupper() and not NOT_ON_PAGES.search(name):
            value = getattr(settings, name)
            if _plain(value):
                lines.append(f"{name}={_canonical(value)}")
    return "\n".join(lines)


def compute_code_version() -> str:
    digest = hashlib.blake2b(digest_size=DIGEST_BYTES)
    roots = source_roots()
    manifest = manifest_path()
    files = source_files(roots) + ([manifest] if manifest else [])
    base = Path(settings.BASE_DIR).resolve()
    for path in files:
        # Named from BASE_DIR: the same slug gives the same version wherever it is unpacked.
        name = path.relative_to(base) if path.is_relative_to(base) else Path(path.name)
        digest.update(str(name).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for package in PACKAGES:
        digest.update(f"{package}=={importlib.metadata.version(package)}\0".encode())
    digest.update(settings_digest_input().encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


@functools.cache
def code_version() -> str:
    """This process's code version (module docstring): 16 hex digits, worked out once."""
    return compute_code_version()


def forget(sender=None, file_path=None, **kwargs) -> None:
    """Work the code version out again on next use. Connected to runserver's
    ``file_changed``: a template edit reloads no process. Returns None, so a change to
    Python code still restarts the server."""
    code_version.cache_clear()
