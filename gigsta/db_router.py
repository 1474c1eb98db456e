"""Read replicas: a web request's reads go to a PostgreSQL replica, everything else to the primary.

Installed only when DATABASE_REPLICA_URLS names replicas (settings.py adds the router and
gigsta.middleware.ReplicaPinMiddleware); without them nothing here runs.

A read goes to a replica only when all of these hold, otherwise to the primary ("default"):
- it happens inside a GET, HEAD or OPTIONS web request (ReplicaPinMiddleware sets `request_state`);
  a POST, the task worker, the timers and management commands read what they are about to
  write, so they stay on the primary;
- it is not inside `transaction.atomic` (a transaction reads and locks rows on the primary);
- neither this request nor, for REPLICA_PIN_SECONDS, an earlier request of the same browser wrote
  (read-your-writes: the pin cookie);
- the model is not one every node must see fresh: sessions, the shared cache table, the task
  queue, API tokens;
- a replica is healthy: it answers, and it is at most REPLICA_MAX_LAG_SECONDS behind. Health is
  measured at most every REPLICA_CHECK_SECONDS per process; a replica that does not answer is
  skipped until the next check.
"""

import logging
import random
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA_PREFIX = "replica_"
# Read by every node right after another wrote them, or written on almost every request.
PRIMARY_ONLY = {"sessions", "django_cache", "django_tasks_database", "accounts.apitoken"}


@dataclass
class RequestState:
    """What the router knows about the web request being served."""

    pinned: bool = False  # the browser wrote within REPLICA_PIN_SECONDS (the pin cookie)
    wrote: bool = False  # this request wrote to the primary
    replica_checked: set[str] = field(default_factory=set)  # replicas whose connection this request checked


request_state: ContextVar[RequestState | None] = ContextVar("replica_request_state", default=None)


@dataclass
class ReplicaHealth:
    alias: str
    available: bool
    lag_seconds: float | None  # None when the replica did not answer
    checked_at: float  # time.monotonic()
    error: str = ""

    def as_dict(self) -> dict:
        status = "ok" if self.available else ("lagging" if self.lag_seconds is not None else "unreachable")
        report = {"status": status, "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3)}
        if self.error:
            report["error"] = self.error
        return report


_health: dict[str, ReplicaHealth] = {}
_health_lock = threading.Lock()


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


def _lag_seconds(alias: str) -> float:
    """How far `alias` is behind the primary: 0 when it has replayed everything the primary has
    written, else the time since the last transaction it replayed. An idle primary is no lag."""
    primary, replica = connections[PRIMARY], connections[alias]
    if replica.vendor != "postgresql":
        with replica.cursor() as cursor:
            cursor.execute("SELECT 1")
        return 0.0
    with primary.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        primary_lsn = cursor.fetchone()[0]
    with replica.cursor() as cursor:
        cursor.execute(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn,"
            " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
            [primary_lsn],
        )
        in_recovery, caught_up, since_replay = cursor.fetchone()
    if not in_recovery or caught_up:
        return 0.0
    return float("inf") if since_replay is None else max(float(since_replay), 0.0)


def replica_check(alias: str) -> ReplicaHealth:
    """Measure one replica now. Never raises: a replica that fails is reported unreachable."""
    try:
        lag = _lag_seconds(alias)
    except DatabaseError as exc:
        connections[alias].close()  # reconnect next time instead of reusing a broken connection
        health = ReplicaHealth(alias, False, None, time.monotonic(), type(exc).__name__)
    else:
        within = lag <= settings.REPLICA_MAX_LAG_SECONDS
        health = ReplicaHealth(alias, within, lag, time.monotonic())
    previous = _health.get(alias)
    if previous is not None and previous.available != health.available:
        logger.warning("replica %s is now %s", alias, health.as_dict())
    with _health_lock:
        _health[alias] = health
    return health


def replicas_health(*, fresh: bool = False) -> dict[str, ReplicaHealth]:
    """Every replica's health, measured again when older than REPLICA_CHECK_SECONDS (or `fresh`)."""
    now = time.monotonic()
    report = {}
    for alias in replica_aliases():
        known = _health.get(alias)
        if fresh or known is None or now - known.checked_at >= settings.REPLICA_CHECK_SECONDS:
            known = replica_check(alias)
        report[alias] = known
    return report


def replica_mark_unavailable(alias: str, error: str) -> None:
    """Skip `alias` until the next check (its connection failed while serving a request)."""
    connections[alias].close()
    with _health_lock:
        _health[alias] = ReplicaHealth(alias, False, None, time.monotonic(), error)


def _connection_usable(alias: str, state: RequestState) -> bool:
    """Once per request, the connection to `alias` is opened or health-checked (CONN_HEALTH_CHECKS
    would do the same on its first query); a replica that stopped since the last check is skipped."""
    if alias in state.replica_checked:
        return True
    state.replica_checked.add(alias)
    try:
        connections[alias].ensure_connection()
    except DatabaseError as exc:
        replica_mark_unavailable(alias, type(exc).__name__)
        return False
    return True


def replica_for_read() -> str | None:
    """A healthy replica for the current request's read, or None for the primary."""
    state = request_state.get()
    if state is None or state.pinned or state.wrote or connections[PRIMARY].in_atomic_block:
        return None
    healthy = [alias for alias, health in replicas_health().items() if health.available]
    random.shuffle(healthy)
    return next((alias for alias in healthy if _connection_usable(alias, state)), None)


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when DATABASE_REPLICA_URLS is set."""

    def db_for_read(self, model, **hints) -> str:
        if model._meta.app_label in PRIMARY_ONLY or model._meta.label_lower in PRIMARY_ONLY:
            return PRIMARY
        return replica_for_read() or PRIMARY

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # replicas are copies of the primary: the same rows

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool:
        return db == PRIMARY


# The database cache's table (settings.CACHES without REDIS_URL): rate-limit counters, written on reads.
CACHE_TABLE = "gigsta_cache"
WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "ALTER", "DROP", "TRUNCATE")


def write_detector(execute, sql, params, many, context):
    """An execute wrapper on the primary: marks the request as having written (the shared cache
    table's counters excepted: they are not data a page shows)."""
    state = request_state.get()
    if state is not None and not state.wrote:
        statement = sql.lstrip().upper()
        if statement.startswith(WRITES) and CACHE_TABLE not in sql:
            state.wrote = True
    return execute(sql, params, many, context)
