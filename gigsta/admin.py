"""The task queue in the admin (Tasks → Task results): django-tasks-db's read-only list, plus
one action for staff: run the chosen tasks again now."""

from django.contrib import admin, messages
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

admin.site.unregister(DBTaskResult)


def _goes_on(failed: DBTaskResult) -> bool:
    """Whether a later attempt of this failed task is waiting, running or has succeeded: each
    failed attempt stays in the list while `outbound` queues the next one."""
    later = DBTaskResult.objects.filter(
        task_path=failed.task_path, args_kwargs__args=failed.args_kwargs["args"], enqueued_at__gt=failed.enqueued_at
    )
    return later.exclude(status=TaskResultStatus.FAILED).exists()


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    actions = ["run_again_now"]
    search_fields = ["task_path", "id"]

    @admin.action(description="Run again now (waiting: now; failed for good: one more attempt)")
    def run_again_now(self, request, queryset) -> None:
        waiting = queryset.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
        failed = [r for r in queryset.filter(status=TaskResultStatus.FAILED) if not _goes_on(r)]
        for result in failed:
            task = result.task.using(run_after=timezone.now())
            task.enqueue(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        self.message_user(
            request,
            f"{waiting} waiting task(s) brought forward, {len(failed)} failed task(s) queued again.",
            messages.SUCCESS,
        )
