"""WSGI entry point for gunicorn (see gunicorn.conf.py and the Procfile).

Outermost first: the request log (sees every request, cache hits and 401s too), the beta
gate (covers cached pages), the page cache (pivotdesk.pagecache: anonymous pages and the
queue-time rule, before Django), then Django, whose WhiteNoiseMiddleware serves static files.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pivotdesk.settings.base")

from pivotdesk.gate import BetaGate  # noqa: E402  (reads settings)
from pivotdesk.pagecache import PageCache  # noqa: E402
from pivotdesk.requestlog import RequestLog  # noqa: E402

application = RequestLog(BetaGate(PageCache(get_wsgi_application())))
