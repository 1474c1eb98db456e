"""The task queue in the admin (Tasks → Task results): django-tasks-db's read-only list, plus
one action for staff: run the chosen tasks again now."""

from django.contrib import admin, messages
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    actions = ["run_again_now"]
    search_fields = ["task_path", "id"]

    @admin.action(description="Run again now (waiting: now; failed: one more attempt)")
    def run_again_now(self, request, queryset) -> None:
        waiting = queryset.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
        failed = list(queryset.filter(status=TaskResultStatus.FAILED))
        for result in failed:
            result.task.enqueue(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        self.message_user(
            request,
            f"{waiting} waiting task(s) brought forward, {len(failed)} failed task(s) queued again.",
            messages.SUCCESS,
        )
