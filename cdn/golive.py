"""golive's CDN row: a CDN purged on every change, or none (s-maxage bounds staleness)."""

from django.conf import settings
from django.tasks import TaskResultStatus

from pivotdesk.readiness import OK, WARNING, Row, ago

from .selectors import last_purge


def check_cdn() -> Row:
    if not settings.CDN_PURGE:
        return Row("CDN", OK, "no purge configured: shared copies stale up to s-maxage")
    job = last_purge()
    if job is None:
        return Row("CDN", OK, f"{settings.CDN_PURGE}; no purge has run yet")
    if job.status == TaskResultStatus.SUCCESSFUL:
        return Row("CDN", OK, f"{settings.CDN_PURGE}; last purge ok {ago(job.finished_at)}")
    error = (job.traceback.strip().splitlines() or [""])[-1][:120]
    return Row("CDN", WARNING, f"{settings.CDN_PURGE}; last purge failed: {error}")


def golive_rows() -> list[Row]:
    return [check_cdn()]
