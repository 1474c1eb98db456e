"""`make replica` (and `make stack`): a real PostgreSQL primary and streaming replica on loopback.

The session starts both (deploy/pg_replication.py: initdb, pg_basebackup -R) on the ports
tests/replica/settings.py gave DATABASE_URL and DATABASE_REPLICA_URLS, migrates the primary and
waits until the replica has replayed it; they are stopped and deleted at the end. Tests commit
for real (replication only carries committed work), so they use no test database and no
rollback: each makes rows of its own. `pytest` and `make test` leave this folder out (it needs
its own settings module): `make replica` runs it with --ds=tests.replica.settings.
"""

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

from deploy.pg_replication import Cluster, primary_and_replica, replica_wait
from gigsta import db_router
from tests.replica import settings as replica_settings

# Throughput of the two-node test (test_two_nodes.py), printed after the results.
FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for line in FIGURES:
        terminalreporter.write_line(f"Two web nodes: {line}")


@pytest.fixture(scope="session")
def clusters(django_db_blocker) -> Iterator[tuple[Cluster, Cluster]]:
    root = Path(tempfile.mkdtemp(prefix="gigsta-replica-"))
    root.chmod(0o755)  # the clusters inside belong to the postgres user
    ports = (replica_settings.PRIMARY_PORT, replica_settings.REPLICA_PORT)
    with primary_and_replica(root / "clusters", database=replica_settings.DATABASE_NAME, ports=ports) as pair:
        with django_db_blocker.unblock():
            call_command("migrate", "--no-input", verbosity=0)
        replica_wait(*pair)
        yield pair
        with django_db_blocker.unblock():
            for connection in connections.all():
                connection.close()
    root.rmdir()


@pytest.fixture
def primary(clusters) -> Cluster:
    return clusters[0]


@pytest.fixture
def replica(clusters) -> Cluster:
    return clusters[1]


@pytest.fixture
def caught_up(clusters):
    """Call it to wait until the replica has replayed everything the primary has written."""
    return lambda: replica_wait(*clusters)


@pytest.fixture(autouse=True)
def _real_databases(clusters, django_db_blocker, settings) -> Iterator[None]:
    """Every test starts with the replica running, replaying and caught up, and no measure kept."""
    primary, replica = clusters
    if not (replica.data / "postmaster.pid").exists():
        replica.start()
    if replica.psql("SELECT pg_is_wal_replay_paused()") == "t":
        replica.psql("SELECT pg_wal_replay_resume()")
    replica_wait(primary, replica)
    settings.REPLICA_CHECK_SECONDS = 0  # measure on every read: the tests change lag and state at will
    db_router._health.clear()
    with django_db_blocker.unblock():
        yield
        for connection in connections.all():
            connection.close()
