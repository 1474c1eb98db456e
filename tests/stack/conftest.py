"""`make stack`: one production-like stack (topology.py) serves every test of the session.

Started once: a fresh database, migrate, collectstatic, seed_demo, gunicorn, nginx. Stopped
whatever happens: a failed start ends the session, SIGTERM and SIGHUP stop it like Ctrl+C, and
a session longer than DEADLINE_SECONDS ends it. The logs stay in a temporary directory unless
every test passed. `pytest` and `make test` leave this directory out (--ignore in pyproject.toml).
"""

import re
import secrets
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.processes import ProcessError, clean_env, interrupt_on_termination, port_in_use, serving
from tests.stack.browser import APP_PORT, PROXY_PORT, Client, Response
from tests.stack.topology import Stack

DEADLINE_SECONDS = 170  # the whole session, start to stop
LOGS_KEPT = pytest.StashKey[Path]()

# Run last, in this order: the backup test wipes and restores the database, the rate limit test
# leaves nginx's zones exhausted, and the logs are read after everything else wrote to them.
LAST = ("test_backup_restore", "test_rate_limit", "test_logs")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: LAST.index(item.path.stem) + 1 if item.path.stem in LAST else 0)


@pytest.hookimpl(trylast=True)  # after the stack has stopped
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    kept = session.config.stash.get(LOGS_KEPT, None)
    if kept is not None and exitstatus == pytest.ExitCode.OK:
        shutil.rmtree(kept, ignore_errors=True)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    kept = config.stash.get(LOGS_KEPT, None)
    if kept is not None and kept.exists():
        logs = ", ".join(str(p.relative_to(kept)) for p in sorted(kept.rglob("*.log"))) or "none written"
        terminalreporter.write_line(f"Stack logs kept in {kept}/: {logs}")


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache():
    """Replaces the root conftest's: the stack runs in other processes, and the cache this process
    would clear is whatever the caller's REDIS_URL names."""
    yield


def _deadline_reached(signum, frame):
    pytest.exit(f"the stack session took longer than {DEADLINE_SECONDS} s", returncode=1)


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    tmp = Path(tempfile.mkdtemp(prefix="gigsta-stack-"))
    tmp.chmod(0o755)  # nginx workers run as an unprivileged user and read static and media from here
    request.config.stash[LOGS_KEPT] = tmp
    stack = Stack(tmp)
    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM)
    previous = {signum: signal.getsignal(signum) for signum in handled}
    interrupt_on_termination()
    signal.signal(signal.SIGALRM, _deadline_reached)
    signal.alarm(DEADLINE_SECONDS)
    servers = ExitStack()
    try:
        try:
            stack.prepare()
            gunicorn = stack.gunicorn_command()
            servers.enter_context(
                serving("gunicorn", gunicorn, env=stack.env, log=stack.app_log, port=APP_PORT, health="/health")
            )
            nginx = stack.nginx_command()
            errors = stack.nginx_dir / "error.log"  # where nginx says why it stopped
            log = stack.nginx_dir / "stderr.log"
            servers.enter_context(
                serving("nginx", nginx, env=clean_env(), log=log, port=PROXY_PORT, health="/health", health_log=errors)
            )
        except (ProcessError, AssertionError) as exc:
            pytest.exit(f"the stack did not start, nothing to check: {exc}", returncode=1)
        yield stack
    finally:
        signal.alarm(0)
        for signum in handled:
            signal.signal(signum, signal.SIG_IGN)  # let the clean-up finish
        servers.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    busy = [port for port in (PROXY_PORT, APP_PORT) if port_in_use(port)]
    assert not busy, f"ports still answering after stopping nginx and gunicorn: {busy}"


# --- Requests that more than one test looks at: made once, before the logs are read.


@dataclass
class RequestIds:
    kept: str  # sent by the client, well-formed
    kept_response: Response
    generated: Response  # none sent
    malformed: Response  # "no spaces allowed here" sent
    csrf: str  # a login post without a CSRF token: Django logs a warning
    csrf_response: Response
    not_found: str  # a missing page: Django logs a warning
    not_found_response: Response


@pytest.fixture(scope="session")
def request_ids(stack) -> RequestIds:
    mine = f"stack-{secrets.token_hex(8)}"
    csrf_id, missing_id = f"stack-csrf-{secrets.token_hex(6)}", f"stack-404-{secrets.token_hex(6)}"
    return RequestIds(
        kept=mine,
        kept_response=Client().get("/api/categories", headers={"X-Request-ID": mine}),
        generated=Client().get("/"),
        malformed=Client().get("/", headers={"X-Request-ID": "no spaces allowed here"}),
        csrf=csrf_id,
        csrf_response=Client().request("POST", "/accounts/login/", data=b"login=x", headers={"X-Request-ID": csrf_id}),
        not_found=missing_id,
        not_found_response=Client().get("/no-such-page-stack-check", headers={"X-Request-ID": missing_id}),
    )


@dataclass
class Stylesheet:
    path: str
    request_id: str
    response: Response


@pytest.fixture(scope="session")
def stylesheet(stack) -> Stylesheet:
    """The hashed stylesheet the home page links, fetched gzipped with a known request id."""
    home = Client().get("/")
    match = re.search(r"/static/css/gigsta\.[0-9a-f]{12}\.css", home.text)
    assert match is not None, "the page does not link a hashed /static/css/gigsta.<hash>.css"
    request_id = f"stack-static-{secrets.token_hex(6)}"
    response = Client().get(match.group(0), headers={"Accept-Encoding": "gzip", "X-Request-ID": request_id})
    return Stylesheet(match.group(0), request_id, response)
