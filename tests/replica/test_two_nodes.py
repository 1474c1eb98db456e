"""Two web nodes behind nginx, one PostgreSQL primary and its replica, one Redis, one task worker.

Each node is a gunicorn of its own (2 sync workers) on its own port, as two machines would run
it; nginx balances between them (deploy/nginx/gigsta.conf with two upstream servers). What one
node does, the other must see: sessions, rate-limit counters and the search cache's catalog
version live in Redis (db 7 here), tasks in the primary's queue. Throughput is measured through
nginx with `wrk`, first with one node up, then with both, for the home page and for /health (the
floor to judge it against, in the same run); the figures are printed at the end.
"""

import json
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from deploy.pg_replication import free_port
from deploy.processes import GUNICORN, HOST, PYTHON, ROOT, Server, clean_env, run, serving
from tests.replica.conftest import FIGURES
from tests.replica.settings import DATABASE_NAME
from tests.stack.browser import Client, Response, csrf_token
from tests.stack.topology import Stack, nginx_binary

REDIS_DB = 7
WRK_SECONDS = 4
# The home page (categories from the replica, a template) and /health, the floor it is judged against.
PATHS = ("/", "/health")


@dataclass
class Nodes:
    a: str  # node A's own address (gunicorn)
    b: str
    proxy: str  # nginx in front of both
    worker_log: Path
    figures: dict


def wrk(url: str) -> dict:
    """Requests per second and errors of a short wrk run (2 threads, 16 connections)."""
    out = run(["wrk", "-t2", "-c16", f"-d{WRK_SECONDS}s", "--latency", url], env=clean_env(), timeout=60)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    return {"requests_per_second": rate, "errors": errors}


@contextmanager
def proxy_to(folder: Path, port: int, upstreams: tuple[int, ...]) -> Iterator[None]:
    """nginx with deploy/nginx/gigsta.conf on `port`, balancing over gunicorn on `upstreams`."""
    folder.mkdir()
    stack = Stack(folder)
    stack.nginx = nginx_binary()
    command = stack.nginx_command(port=port, upstreams=upstreams)
    errors = stack.nginx_dir / "error.log"
    with serving("nginx", command, env=clean_env(), log=folder / "nginx.log", port=port, health="/health",
                 health_log=errors):  # fmt: skip
        yield


def gunicorn(port: int) -> list:
    return [GUNICORN, "gigsta.wsgi:application", "--workers", "2", "--bind", f"{HOST}:{port}", "--timeout", "30"]


@pytest.fixture(scope="module")
def nodes(clusters) -> Iterator[Nodes]:
    assert shutil.which("wrk"), "wrk is not installed (Debian: apt-get install -y wrk)"
    assert shutil.which("redis-cli"), "redis-cli is not installed (Debian: apt-get install -y redis-server)"
    primary, replica = clusters
    redis = ["redis-cli", "-h", HOST, "-p", "6379", "-n", str(REDIS_DB)]
    run([*redis, "FLUSHDB"], env=clean_env())
    tmp = Path(tempfile.mkdtemp(prefix="gigsta-nodes-"))
    tmp.chmod(0o755)  # nginx's workers read static files from here
    ports = {"a": free_port(), "b": free_port(), "proxy": free_port()}
    proxy = f"http://{HOST}:{ports['proxy']}"
    env = clean_env(
        DJANGO_SETTINGS_MODULE="gigsta.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        SITE_URL=proxy,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=",".join(f"http://{HOST}:{port}" for port in ports.values()),
        TRUSTED_PROXY_COUNT="1",
        SECURE_COOKIES="0",
        DATABASE_URL=primary.url(DATABASE_NAME),
        DATABASE_REPLICA_URLS=replica.url(DATABASE_NAME),
        REDIS_URL=f"redis://{HOST}:6379/{REDIS_DB}",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp / "private-media"),
        LOG_LEVEL="WARNING",
    )
    run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"], env=env, log=tmp / "one-shot.log")
    worker_log = tmp / "worker.log"
    with worker_log.open("w") as handle:
        worker = subprocess.Popen(
            [PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", "1"],
            env={**env, "LOG_LEVEL": "INFO"}, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    worker_server = Server("db_worker", worker, worker_log)
    node_a = serving("gunicorn A", gunicorn(ports["a"]), env=env, log=tmp / "a.log", port=ports["a"], health="/health")
    node_b = serving("gunicorn B", gunicorn(ports["b"]), env=env, log=tmp / "b.log", port=ports["b"], health="/health")
    figures = {}
    try:
        with node_a:
            with proxy_to(tmp / "one-node", ports["proxy"], (ports["a"],)):
                figures["one node"] = {path: wrk(f"{proxy}{path}") for path in PATHS}
            with node_b, proxy_to(tmp / "two-nodes", ports["proxy"], (ports["a"], ports["b"])):
                figures["two nodes"] = {path: wrk(f"{proxy}{path}") for path in PATHS}
                FIGURES.extend(
                    f"{name}, GET {path}: {f['requests_per_second']:.0f} requests/s, {f['errors']} errors"
                    for name, by_path in figures.items()
                    for path, f in by_path.items()
                )
                FIGURES.append(f"(wrk -t2 -c16 -d{WRK_SECONDS}s through nginx; 2 gunicorn sync workers a node)")
                yield Nodes(f"http://{HOST}:{ports['a']}", f"http://{HOST}:{ports['b']}", proxy, worker_log, figures)
    finally:
        worker_server.stop()
        run([*redis, "FLUSHDB"], env=clean_env())
    shutil.rmtree(tmp, ignore_errors=True)


def post_json(client: Client, path: str, body: dict, **headers: str) -> Response:
    headers = {"Content-Type": "application/json", **headers}
    return client.request("POST", path, data=json.dumps(body).encode(), headers=headers)


def register(client: Client, role: str = "client") -> tuple[str, str, str]:
    email, password = f"node-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(18)
    name = f"Nadia Node {secrets.token_hex(3)}"
    body = {"email": email, "password": password, "display_name": name, "role": role}
    address = f"10.7.{secrets.randbelow(250)}.{secrets.randbelow(250)}"  # its own sign-up allowance
    response = post_json(client, "/api/auth/register", body, **{"X-Forwarded-For": address})
    assert response.status == 201, response.text
    return email, password, name


def test_both_nodes_answer_through_nginx_without_errors(nodes):
    for name, by_path in nodes.figures.items():
        for path, figures in by_path.items():
            assert figures["errors"] == 0, (name, path, figures)
            assert figures["requests_per_second"] > 0, (name, path, figures)


def test_a_log_in_on_node_a_is_valid_on_node_b(nodes):
    email, password, name = register(Client(nodes.a))
    a = Client(nodes.a)
    page = a.get("/accounts/login/")
    fields = {"csrfmiddlewaretoken": csrf_token(page), "login": email, "password": password}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": nodes.a, "Referer": nodes.a + "/"}
    response = a.request("POST", "/accounts/login/", data=urlencode(fields).encode(), headers=headers)
    assert response.status == 302, response.text[:300]
    session = a.cookie("sessionid")
    assert session
    on_b = Client(nodes.b).get("/", headers={"Cookie": f"sessionid={session}"})
    assert on_b.status == 200
    assert name in on_b.text, "node B does not know node A's session"
    assert name not in Client(nodes.b).get("/").text


def test_rate_limits_count_requests_to_both_nodes(nodes):
    address = f"10.8.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    statuses = [
        post_json(Client(node), "/api/auth/token", {"email": "nobody@example.com", "password": "wrong"},
                  **{"X-Forwarded-For": address}).status
        for node in [nodes.a, nodes.b] * 10
    ]  # fmt: skip
    answered = [status for status in statuses if status != 429]
    assert len(answered) == 10, f"API_AUTH_THROTTLE is 10/m for the site, not per node: {statuses}"
    assert statuses[-1] == 429


def test_a_catalog_change_on_node_b_clears_node_as_cached_search(nodes, caught_up):
    word = f"zither{secrets.token_hex(3)}"
    before = Client(nodes.a).get(f"/api/services?q={word}")
    assert before.status == 200 and word not in before.text  # now cached on node A's side too
    email, password, _ = register(Client(nodes.b), role="provider")
    token = post_json(Client(nodes.b), "/api/auth/token", {"email": email, "password": password}).json()["token"]
    service = {
        "title": f"The {word} trio", "category": "live-music", "price_minor": 50000, "currency": "EUR",
        "city": "Berlin", "duration_minutes": 120,
    }  # fmt: skip
    created = post_json(Client(nodes.b), "/api/services", service, Authorization=f"Bearer {token}")
    assert created.status == 201, created.text
    caught_up()  # node A reads searches from the replica
    after = Client(nodes.a).get(f"/api/services?q={word}")
    assert word in after.text, "node A kept serving its cached answer: the catalog version is not shared"


def test_a_task_enqueued_on_node_a_is_run_by_the_worker(nodes):
    email, _, _ = register(Client(nodes.a))  # sign-up sends a verification email, as a task
    deadline = time.monotonic() + 20
    while email not in nodes.worker_log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"the worker did not send the email to {email} within 20 s"
        time.sleep(0.3)
