"""WSGI entry point for gunicorn (see gunicorn.conf.py and the Procfile)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pivotdesk.settings.base")

from pivotdesk.gate import BetaGate  # noqa: E402  (reads settings)
from pivotdesk.requestlog import RequestLog  # noqa: E402

# Outermost first: the request log (sees every request, cache hits and 401s too), the beta
# gate (covers cached pages), then the page cache, then Django.
application = RequestLog(BetaGate(get_wsgi_application()))
