"""Running the task queue in tests, with the worker's own code (django-tasks-db)."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max

WORKER = Worker(
    queue_names=["*"],
    interval=0,
    batch=True,
    backend_name="default",
    startup_delay=False,
    max_tasks=None,
    worker_id="test-worker",
    excluded_queue_names=[],
)


def tasks_due(later: dt.timedelta = dt.timedelta(0)):
    """Tasks a worker would run now, or `later` from now (retries wait a while)."""
    until = timezone.now() + later
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY).filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=until)
    )


def tasks_run(later: dt.timedelta = dt.timedelta(0), limit: int = 200) -> int:
    """Run every task that is due (and those they queue), as `manage.py db_worker` does.
    Returns how many ran, failed attempts included."""
    ran = 0
    while ran < limit and (result := tasks_due(later).order_by("enqueued_at").first()) is not None:
        result.claim(WORKER.worker_id)
        WORKER.run_task(result)
        ran += 1
    return ran


def tasks_failed() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).order_by("enqueued_at"))
