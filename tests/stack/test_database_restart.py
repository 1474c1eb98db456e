"""PostgreSQL drops every connection of the app while pages are being served (a failover, a
restart, an administrator's pg_terminate_backend): the requests after it succeed with no
manual step, because connections are health-checked before reuse (CONN_HEALTH_CHECKS)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from deploy.processes import psql
from tests.stack.browser import Client
from tests.stack.topology import DB_NAME

pytestmark = pytest.mark.usefixtures("stack")

PATHS = ["/search?q=band", "/search?q=dj&sort=price", "/api/services?q=photo", "/ready"]


def _get(path: str) -> int:
    return Client().get(path).status


def _terminate_app_connections() -> int:
    sql = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        f"WHERE datname = '{DB_NAME}' AND pid <> pg_backend_pid()"
    )
    return int(psql(sql, database="postgres"))


def test_requests_after_the_database_dropped_every_connection_succeed():
    with ThreadPoolExecutor(max_workers=8) as pool:
        warm = list(pool.map(_get, PATHS * 6))  # every gunicorn worker holds a persistent connection
        assert set(warm) == {200}, warm
        during = pool.map(_get, PATHS * 6)
        terminated = _terminate_app_connections()
        list(during)  # requests in flight at that moment may fail; the point is what follows
        after = list(pool.map(_get, PATHS * 6))
    assert terminated >= 1, "no app connection was open to terminate"
    assert set(after) == {200}, f"after the database dropped {terminated} connection(s): {after}"
