"""WSGI entry point for gunicorn. Outermost first: the request log, the beta gate, the page
cache (anonymous pages, the queue-time rule), then Django (WhiteNoise serves static files)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pivotdesk.settings.base")

from pivotdesk.gate import BetaGate  # noqa: E402  (reads settings)
from pivotdesk.pagecache import PageCache  # noqa: E402
from pivotdesk.requestlog import RequestLog  # noqa: E402

application = RequestLog(BetaGate(PageCache(get_wsgi_application())))
