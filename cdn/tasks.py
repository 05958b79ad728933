"""The CDN purge job: run by the worker after the change commits, retried with backoff."""

from django.tasks import task

from .purge import purge


@task
def cdn_purge(*, tags: list[str], paths: list[str]) -> str:
    return purge(tags=tags, paths=paths)
