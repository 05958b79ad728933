"""The queue in /admin/: every job with its status, attempts and last error; failed jobs
(out of retries) are retried with the list's action."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.tasks import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from . import services
from .models import Effect


class JobAdmin(DBTaskResultAdmin):
    list_display = (
        "task_name",
        "status",
        "attempts",
        "last_error",
        "enqueued_at",
        "started_at",
        "finished_at",
    )
    list_filter = ("status", "queue_name")
    search_fields = ("task_path", "id")
    actions = ["retry_selected"]

    @admin.display(description="attempts")
    def attempts(self, obj: DBTaskResult) -> int:
        return len(obj.worker_ids)

    @admin.display(description="last error")
    def last_error(self, obj: DBTaskResult) -> str:
        lines = obj.traceback.strip().splitlines()
        return lines[-1][:200] if lines else ""

    @admin.action(description="Retry selected failed jobs", permissions=["retry"])
    def retry_selected(self, request, queryset):
        retried = 0
        for job in queryset.filter(status=TaskResultStatus.FAILED):
            try:
                services.job_retry(job=job)
            except ValidationError as exc:
                self.message_user(request, f"{job.pk}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                retried += 1
        if retried:
            self.message_user(request, f"{retried} job(s) will run again.", messages.SUCCESS)
        else:
            self.message_user(request, services.JOB_NOT_FAILED, messages.WARNING)

    def has_retry_permission(self, request):
        return request.user.is_operator


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, JobAdmin)


@admin.register(Effect)
class EffectAdmin(admin.ModelAdmin):
    """What jobs have done once (emails sent), by key: look, never edit."""

    list_display = ("key", "done_at")
    search_fields = ("key",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
