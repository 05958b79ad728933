"""Listings' periodic job, enqueued by the clock (docs/OPERATIONS.md)."""

import datetime

from crontask import cron
from django.tasks import task

from .services import photo_files_prune


@cron("41 4 * * *")
@task
def listings_prune_photo_files() -> int:
    """Daily: delete photo files no photo uses (older than an hour: younger ones may be
    mid-upload). ``manage.py prune_photo_files --dry-run`` lists them by hand."""
    return len(photo_files_prune(older_than=datetime.timedelta(hours=1), dry_run=False))
