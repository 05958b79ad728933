"""Reads about the CDN, for golive."""

from django_tasks_db.models import DBTaskResult

PURGE_TASK = "cdn.tasks.cdn_purge"


def last_purge() -> DBTaskResult | None:
    """The latest purge job that ran (succeeded or failed), or None."""
    return (
        DBTaskResult.objects.filter(task_path=PURGE_TASK, finished_at__isnull=False)
        .order_by("-finished_at")
        .first()
    )
