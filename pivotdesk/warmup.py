"""Work a process would otherwise do on its first requests, done ahead: the template engine
and its tag libraries, every project template compiled, the URL resolvers built, the code
version worked out (pivotdesk.codeversion).

gunicorn.conf.py calls ``warm_process`` in the master before it forks (``preload_app``), so
every worker — and every worker that replaces a recycled one (``max_requests``) — starts
warm: its first listing page cost ~50 ms of CPU more than the next (imports, template
compilation, URL patterns), and at the start of a spike each worker's first requests were
the slowest of the run (docs/PERFORMANCE.md, session 6). Nothing here opens a socket, so
nothing that must not be shared is shared across the fork.
"""

import logging
import time
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import URLResolver, get_resolver

from .codeversion import code_version

log = logging.getLogger("pivotdesk.warmup")

TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")


def project_templates() -> list[str]:
    """The names of the templates under the project's templates/ directories."""
    names = []
    for directory in settings.TEMPLATES[0]["DIRS"]:
        root = Path(directory)
        names += sorted(
            str(path.relative_to(root))
            for path in root.rglob("*")
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file()
        )
    return names


def _build_resolvers(resolver: URLResolver) -> int:
    resolver.reverse_dict  # noqa: B018  (the property builds the resolver's lookup tables)
    built = 1
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            built += _build_resolvers(pattern)
    return built


def warm_process() -> dict[str, int]:
    """Compile the project's templates and build the URL resolvers in this process; return
    what was done. A template that fails to compile is logged and skipped: it fails on its
    own page, as it would have without this."""
    started = time.perf_counter()
    compiled = 0
    engine = engines["django"]
    for name in project_templates():
        try:
            engine.get_template(name)
        except (TemplateDoesNotExist, TemplateSyntaxError) as exc:
            log.warning("warm-up: template %s not compiled: %s", name, exc)
        else:
            compiled += 1
    resolvers = _build_resolvers(get_resolver())
    version = code_version()
    done = {"templates": compiled, "resolvers": resolvers}
    took = (time.perf_counter() - started) * 1000
    log.info("warm-up in %.0f ms: %s; code version %s", took, done, version)
    return done
