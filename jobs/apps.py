from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Background work on Django's Tasks framework: retries, abandoned jobs, effects done
    once, the queue in /admin/ and in golive (docs/OPERATIONS.md, "Background work")."""

    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self):
        from django.tasks.signals import task_finished

        from .services import job_retry_if_failed

        task_finished.connect(job_retry_if_failed, dispatch_uid="jobs.retry")
