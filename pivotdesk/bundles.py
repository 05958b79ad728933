"""Static bundles: a few static files served as one, so a first visit makes fewer requests.

A visitor from a tweet arrives with an empty browser cache; each stylesheet and script is one
more request in the arrival burst (a quarter of the first 16,000 requests of `make spike`
were CSS/JS, docs/PERFORMANCE.md). ``settings.STATIC_BUNDLES`` names each bundle and its
sources in order::

    STATIC_BUNDLES = {"js/site.js": ["vendor/leaflet/leaflet.js", "js/map.js"]}

``BundleFinder`` (in ``STATICFILES_FINDERS``) finds a bundle like any static file, so
``collectstatic`` hashes and compresses it (WhiteNoise) and ``runserver`` serves it, rebuilt
when a source changes. Relative ``url(...)`` references in CSS are rewritten for the
bundle's location; source-map comments are dropped (the maps are for the separate files).
"""

import hashlib
import os
import posixpath
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
SOURCE_MAP = re.compile(r"^\s*(//|/\*)\s*[#@] sourceMappingURL=.*$", re.MULTILINE)
NOT_RELATIVE = ("/", "#", "data:", "http:", "https:")


def bundles() -> dict[str, list[str]]:
    return getattr(settings, "STATIC_BUNDLES", {})


def rebase_css(css: str, source: str, bundle: str) -> str:
    """``css`` from static path ``source`` with its relative url()s pointing at the same
    files from static path ``bundle``."""

    def rebase(match):
        quote, target = match.groups()
        if target.startswith(NOT_RELATIVE):
            return match.group(0)
        absolute = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        relative = posixpath.relpath(absolute, posixpath.dirname(bundle) or ".")
        return f"url({quote}{relative}{quote})"

    return CSS_URL.sub(rebase, css)


def join(name: str, found: dict[str, str | None]) -> str:
    """The bundle ``name`` from its sources: {static path: file found for it}, in order."""
    parts = []
    for source, path in found.items():
        if path is None:
            raise FileNotFoundError(f"static bundle {name}: no static file {source}")
        text = SOURCE_MAP.sub("", Path(path).read_text(encoding="utf-8")).rstrip()
        if name.endswith(".css"):
            text = rebase_css(text, source, name)
        parts.append(f"/* {source} */\n{text}\n")
    # ";" between scripts: a file without a final semicolon cannot run into the next.
    return (";\n" if name.endswith(".js") else "\n").join(parts)


class BundleFinder(finders.BaseFinder):
    def __init__(self):
        tag = hashlib.md5(str(settings.BASE_DIR).encode(), usedforsecurity=False).hexdigest()
        self.location = Path(tempfile.gettempdir()) / f"pivotdesk-bundles-{os.getuid()}-{tag[:8]}"
        self.storage = FileSystemStorage(location=self.location)

    def check(self, **kwargs):
        errors = []
        for name, sources in bundles().items():
            for source in sources:
                if source in bundles() or finders.find(source) is None:
                    errors.append(
                        Error(
                            f"STATIC_BUNDLES[{name!r}]: {source!r} is not a static file.",
                            id="pivotdesk.E010",
                        )
                    )
        return errors

    def build(self, name: str) -> str:
        """The bundle's file, written again when it is missing or a source is newer."""
        target = self.location / name
        found = {source: finders.find(source) for source in bundles()[name]}
        newest = max((os.stat(path).st_mtime for path in found.values() if path), default=0)
        if not target.exists() or target.stat().st_mtime < newest:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: another process never reads half a bundle.
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".bundle-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(join(name, found))
            os.replace(temporary, target)
        return str(target)

    def find(self, path, find_all=False):
        if path not in bundles():
            return []  # as Django's finders answer "not here", whichever find_all
        built = self.build(path)
        return [built] if find_all else built

    def list(self, ignore_patterns):
        for name in bundles():
            self.build(name)
            yield name, self.storage
