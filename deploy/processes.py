# Runs fixed local tools (gunicorn, nginx, psql, pg_ctlcluster) with fixed arguments, on loopback only.
# ruff: noqa: S603, S310
"""Local processes for the stack tests (tests/stack) and the benchmark (bench/run.py).

Start a server in its own process group and wait until it answers, stop it whatever happens,
run a command to its end with its output in a log, ask PostgreSQL on 127.0.0.1:5432.
"""

import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
HOST = "127.0.0.1"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", "5432", "postgres"


class ProcessError(Exception):
    """A command failed or a server did not come up; the message says why, with the end of its output."""


def clean_env(**extra: str) -> dict[str, str]:
    """Only what the caller states, so settings in the caller's shell (REDIS_URL, ...) cannot leak in."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TERM", "USER", "TZ")
    return {**{key: os.environ[key] for key in keep if key in os.environ}, **extra}


def command_line(args: Sequence) -> str:
    """A command as people read it: paths inside the project relative to it."""
    return shlex.join(str(a).removeprefix(f"{ROOT}/") for a in args)


def last_lines(text: str, count: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-count:])


def run(args: Sequence, *, env: dict[str, str], log: Path | None = None, timeout: float | None = 120) -> str:
    """Run a command to its end and return its standard output; both streams are appended to `log`.
    Raises ProcessError with the end of its output when it fails."""
    shown = command_line(args)
    try:
        result = subprocess.run(
            [str(a) for a in args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ProcessError(f"`{shown}` did not finish within {timeout:.0f} s") from exc
    if log is not None:
        with log.open("a") as handle:
            handle.write(f"$ {shown}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise ProcessError(f"`{shown}` exited with {result.returncode}:\n{last_lines(result.stdout + result.stderr)}")
    return result.stdout


def port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


# --- Servers


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    log: Path

    def stop(self, timeout: float = 15) -> str:
        """SIGTERM to the whole process group (gunicorn's and nginx's workers too), SIGKILL after `timeout`."""
        if self.process.poll() is not None:
            return f"{self.name} had already exited (code {self.process.returncode})"
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return f"{self.name} (pid {self.process.pid}) killed after {timeout:.0f} s"
        return f"{self.name} stopped (pid {self.process.pid})"


def start(name: str, args: Sequence, *, env: dict[str, str], log: Path, port: int) -> Server:
    """Start a server in a session of its own, output to `log`; refuses when `port` is taken."""
    if port_in_use(port):
        raise ProcessError(f"something already listens on {HOST}:{port}: stop it and try again")
    with log.open("w") as handle:
        process = subprocess.Popen(
            [str(a) for a in args], env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, process, log)


def wait_http(url: str, server: Server, *, log: Path | None = None, timeout: float = 30) -> None:
    """Until `url` answers 200; fails early, with the end of `log` (the server's own by default), if it exits."""
    log = log or server.log
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = last_lines(log.read_text(errors="replace")) if log.exists() else ""
            raise ProcessError(f"{server.name} exited with code {server.process.returncode} before answering:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise ProcessError(f"{url} did not answer 200 within {timeout:.0f} s (log: {log})")


@contextmanager
def serving(
    name: str, args: Sequence, *, env: dict[str, str], log: Path, port: int, health: str, health_log: Path | None = None
) -> Iterator[Server]:
    """A started server that answers `health` (a path) on `port`, stopped on leaving whatever happened."""
    server = start(name, args, env=env, log=log, port=port)
    try:
        wait_http(f"http://{HOST}:{port}{health}", server, log=health_log)
        yield server
    finally:
        server.stop()


def interrupt_on_termination() -> None:
    """SIGTERM and SIGHUP raise KeyboardInterrupt, so `finally` blocks stop the servers."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


# --- PostgreSQL on 127.0.0.1:5432, trust authentication for the postgres user


def postgres_url(database: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def psql(sql: str, *, database: str) -> str:
    """One statement through psql; its output unaligned and trimmed. Raises ProcessError on any SQL error."""
    args = ["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", database, "-XAtq", "-v", "ON_ERROR_STOP=1"]
    return run([*args, "-c", sql], env=clean_env()).strip()


def postgres_ready() -> bool:
    args = ["pg_isready", "-q", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER]
    return subprocess.run(args, check=False).returncode == 0


def postgres_ensure_running(timeout: float = 30) -> str:
    """Start this machine's cluster on port 5432 with pg_ctlcluster when it is down; the server version."""
    started = ""
    if not postgres_ready() and shutil.which("pg_lsclusters"):
        clusters = run(["pg_lsclusters", "--no-header"], env=clean_env())
        for line in clusters.splitlines():
            version, name, port = line.split()[:3]
            if port == PG_PORT:
                run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"], env=clean_env())
                started = f" (started cluster {version}/{name})"
    deadline = time.monotonic() + timeout
    while not postgres_ready():
        if time.monotonic() > deadline:
            raise ProcessError(
                f"PostgreSQL does not accept connections on {PG_HOST}:{PG_PORT} "
                f"(trust authentication for {PG_USER} is expected): start it and try again"
            )
        time.sleep(0.5)
    return psql("SHOW server_version", database="postgres") + started


def database_create(database: str, *, fresh: bool) -> None:
    """Create `database` when it is missing; `fresh` drops it first (and every connection to it)."""
    if fresh:
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', database="postgres")
    elif psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'", database="postgres") == "1":  # noqa: S608
        return
    psql(f'CREATE DATABASE "{database}"', database="postgres")
