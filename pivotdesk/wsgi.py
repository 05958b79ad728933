"""WSGI entry point for gunicorn (see gunicorn.conf.py and the Procfile).

Layers, outermost first: the beta gate and the request log (pivotdesk.gate, deploy) wrap
from outside; then PageCache (pivotdesk.pagecache: queue-time rule, anonymous pages from
Redis); then Django. Keep PageCache directly around Django.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pivotdesk.settings.base")

from pivotdesk.pagecache import PageCache  # noqa: E402

application = PageCache(get_wsgi_application())
