# Runs this machine's PostgreSQL tools (initdb, pg_ctl, pg_basebackup, psql) with fixed arguments, on loopback only.
"""A throwaway PostgreSQL primary and its streaming replica on loopback, for tests/replica and
tests/stack/test_two_nodes.py.

The primary is a cluster of its own (initdb), never the machine's server on 5432; the replica is
made from it with `pg_basebackup -R` and follows it by streaming replication. Both listen on
127.0.0.1 only, with trust authentication, and are deleted when stopped. As root, the tools run
as the `postgres` user (PostgreSQL refuses to run as root).
"""

import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from deploy.processes import HOST, ProcessError, clean_env, run

USER = "postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def pg_bin() -> Path:
    """The newest installed server's programs (Debian: /usr/lib/postgresql/<version>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise ProcessError("initdb is not installed (Debian: apt-get install -y postgresql)")
    return Path(initdb).parent


def _as_postgres(args: list) -> list:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", USER, "--", *args]


@dataclass
class Cluster:
    name: str
    data: Path
    port: int

    def url(self, database: str) -> str:
        return f"postgres://{USER}@{HOST}:{self.port}/{database}"

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def pg_ctl(self, *args: str, timeout: float = 60) -> str:
        return run(_as_postgres([pg_bin() / "pg_ctl", "-D", self.data, *args]), env=clean_env(), timeout=timeout)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses={HOST} -k {self.data.parent}"
        self.pg_ctl("-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("-m", mode, "-w", "stop")

    def psql(self, sql: str, database: str = "postgres") -> str:
        args = ["psql", "-h", HOST, "-p", str(self.port), "-U", USER, "-d", database, "-XAtq", "-v", "ON_ERROR_STOP=1"]
        return run([*args, "-c", sql], env=clean_env()).strip()


# Fast and small: a throwaway cluster needs no durability, and the machine is shared.
SETTINGS = """
fsync = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 60
wal_level = replica
max_wal_senders = 4
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = 1s
"""


@contextmanager
def primary_and_replica(
    root: Path, *, database: str, ports: tuple[int, int] | None = None
) -> Iterator[tuple[Cluster, Cluster]]:
    """A primary with `database` created, and a streaming replica of it that has caught up, on
    `ports` (free ones by default). Both are stopped and deleted on leaving, whatever happened."""
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, USER, USER)
    primary_port, replica_port = ports or (free_port(), free_port())
    primary = Cluster("primary", root / "primary", primary_port)
    replica = Cluster("replica", root / "replica", replica_port)
    env = clean_env()
    try:
        run(_as_postgres([pg_bin() / "initdb", "-D", primary.data, "-U", USER, "--auth=trust", "-E", "UTF8"]), env=env)
        with (primary.data / "postgresql.conf").open("a") as conf:
            conf.write(SETTINGS)
        primary.start()
        primary.psql(f'CREATE DATABASE "{database}"')
        basebackup = [pg_bin() / "pg_basebackup", "-h", HOST, "-p", primary.port, "-U", USER]
        run(_as_postgres([*basebackup, "-D", replica.data, "-R", "-X", "stream", "-c", "fast"]), env=env)
        replica.start()
        replica_wait(primary, replica)
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            with suppress(ProcessError):
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def replica_wait(primary: Cluster, replica: Cluster, timeout: float = 30) -> None:
    """Until the replica is in recovery and has replayed everything the primary has written."""
    target = primary.psql("SELECT pg_current_wal_insert_lsn()")
    deadline = time.monotonic() + timeout
    while True:
        try:
            done = replica.psql(f"SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
        except ProcessError:
            done = "f"
        if done == "t":
            return
        if time.monotonic() > deadline:
            raise ProcessError(
                f"the replica did not catch up with {target} within {timeout:.0f} s (log: {replica.log})"
            )
        time.sleep(0.1)
