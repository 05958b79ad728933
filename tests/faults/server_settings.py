"""Settings for the app served by gunicorn in the fault tests: production settings (base.py, read
from the environment like a dyno), with two test-only differences:

* static files are served without a collectstatic manifest (tests don't run collectstatic);
* one extra URL, ``/_faults/slow-query/``, runs ``pg_sleep`` to prove ``statement_timeout``.
"""

from pivotdesk.settings.base import *  # noqa: F403
from pivotdesk.settings.base import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ROOT_URLCONF = "tests.faults.urls"
