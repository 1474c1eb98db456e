"""Work that leaves the process (emails, Stripe, partner webhooks) runs as a task.

Django's tasks API (the django-tasks backport) with its database queue (django-tasks-db): a
task is a row written in the transaction of the change that causes it, so it exists exactly
when the change does (an outbox), and a worker (`manage.py db_worker`) runs it after commit.

`outbound` makes a function such a task, retried with exponential backoff when it raises:
each failed attempt stays in the admin (Tasks → Task results, with its traceback) and the
next attempt is queued to run later. A task's effect must be safe to repeat (Stripe
idempotency keys, unique ledger keys): a worker that dies mid-task leaves it "running", and
`tasks_requeue_stale` (run_timers) queues it again.
"""

import datetime as dt
import functools
import inspect
import logging
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

log = logging.getLogger(__name__)

FIRST_RETRY = dt.timedelta(minutes=1)
# 11 attempts: retries after 1, 2, 4 … 512 minutes, about 17 hours in all; less than the
# 24 hours Stripe keeps an idempotency key, so a retried refund can never be sent twice.
ATTEMPTS = 11


def retry_delay(attempt: int, max_delay: dt.timedelta | None = None) -> dt.timedelta:
    """How long after failed attempt number `attempt` (1, 2, …) the next one runs."""
    delay = FIRST_RETRY * 2 ** (attempt - 1)
    return min(delay, max_delay) if max_delay else delay


def outbound(func: Callable | None = None, *, attempts: int = ATTEMPTS, max_delay: dt.timedelta | None = None):
    """Make `func` a task on the default queue that is retried with backoff (doubling from a
    minute, at most `max_delay` apart). Call it with `func.enqueue(*args)` inside the
    transaction of the change that causes it; its arguments are JSON (ids, not objects). A
    function with an `attempt` parameter is told which attempt it is."""

    def decorate(func: Callable):
        wants_attempt = "attempt" in inspect.signature(func).parameters

        @task()
        @functools.wraps(func)
        def run(*args, attempt: int = 1, **kwargs):
            try:
                return func(*args, attempt=attempt, **kwargs) if wants_attempt else func(*args, **kwargs)
            except BaseException:  # a worker stopped mid-task (SystemExit) retries too
                if attempt < attempts:
                    later = timezone.now() + retry_delay(attempt, max_delay)
                    run.using(run_after=later).enqueue(*args, attempt=attempt + 1, **kwargs)
                    log.warning("task %s failed (attempt %s of %s); next at %s", run.name, attempt, attempts, later)
                else:
                    log.error("task %s failed for good after %s attempts: it needs a person", run.name, attempts)
                raise

        return run

    return decorate(func) if func is not None else decorate


def tasks_requeue_stale(now: dt.datetime | None = None) -> int:
    """Queue again the tasks whose worker died while running them. Returns how many."""
    now = now or timezone.now()
    stale = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        started_at__lt=now - dt.timedelta(minutes=settings.TASK_STALE_AFTER_MINUTES),
    )
    return stale.update(status=TaskResultStatus.READY, started_at=None, run_after=now)


def tasks_oldest_due() -> dt.datetime | None:
    """Since when the longest-waiting task could have run; None when nothing is due."""
    now = timezone.now()
    due = DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lte=now).order_by("run_after").first()
    undated = DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after=get_date_max())
    first_undated = undated.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    candidates = [t for t in (due and due.run_after, first_undated) if t is not None]
    return min(candidates) if candidates else None
