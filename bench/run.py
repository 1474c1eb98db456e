# A harness that runs fixed local tools (psql, wrk, curl, gunicorn) with fixed arguments and constants.
# ruff: noqa: S603, S607, S608
"""`make bench`: GigSta under load (search, a booking page, a webhook), against a fixed floor, on this machine.

Prepares PostgreSQL (database gigsta_bench, migrated, 20,000 seeded providers, a paid demo
booking with a logged-in client session, a processed Stripe event), starts gunicorn with sync
workers (2 x cores) on 127.0.0.1:8765, measures five cases with wrk on loopback (the floor, the
search page, the API search, a booking page, a replayed Stripe webhook), then the two searches
again on a gunicorn with the search answer cache off. Writes bench/report.md and stops gunicorn
whatever happens. Raw wrk output, the checked response bodies and the gunicorn logs go to bench/out/.
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", "5432", "postgres"
DB_NAME = "gigsta_bench"
HOST, PORT = "127.0.0.1", 8765
BASE_URL = f"http://{HOST}:{PORT}"
CONNECTIONS, THREADS, WARMUP_SECONDS = 32, 2, 3

# Only what the benchmark states, so settings in the caller's shell (REDIS_URL, ...) cannot leak in.
ENV = {
    **{key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TERM", "USER") if key in os.environ},
    "DEBUG": "0",
    "SECRET_KEY": "bench",
    "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}",  # default persistent connections
    "ALLOWED_HOSTS": HOST,
    # wrk is one client address: the API's limits per address (300/m, and 1,200/m, which ninja's
    # per-account throttle also applies to anonymous calls) would answer 429 after a second.
    "API_ANON_THROTTLE": "100000/s",
    "API_USER_THROTTLE": "100000/s",
    "DJANGO_SETTINGS_MODULE": "gigsta.settings",
}
ENV_SHOWN = " ".join(
    f"{key}={ENV[key]}"
    for key in ("DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "API_ANON_THROTTLE", "API_USER_THROTTLE")
)
# The second round: the same searches with the search answer cache turned off.
CACHE_OFF = {"SEARCH_CACHE_SECONDS": "0"}
# The first round: Stripe switched on, so the webhook checks signatures (no request reaches Stripe).
STRIPE_ENV = {"STRIPE_SECRET_KEY": "sk_test_bench", "STRIPE_WEBHOOK_SECRET": "whsec_bench"}
WEBHOOK_PATH = "/payments/stripe/webhook/"

# Run by `manage.py shell -c` before gunicorn starts; idempotent. A confirmed booking of the demo
# band (30 % deposit) by the demo client, the deposit and the balance marked paid by the provider
# through the real services (so the ledger is real); a database session logged in as the client;
# a Stripe event whose id is already processed. Prints them as one BENCH_DATA line of JSON.
SETUP_SCRIPT = """
import datetime as dt
import json

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from bookings.services import booking_request, booking_transition
from catalog.models import Service
from payments.models import WebhookEvent

VENUE = "Bench Hall, Hamburg (make bench)"
client = User.objects.get(email="client@demo.gigsta.local")
band = User.objects.get(email="band@demo.gigsta.local")
service = Service.objects.get(provider=band, title="Soul and funk band for weddings")
# Reused while the gig is more than 30 days away, so the page stays the same from run to run.
later = timezone.now() + dt.timedelta(days=30)
booking = (
    Booking.objects.filter(client=client, service=service, venue=VENUE, starts_at__gt=later)
    .filter(state__in=["requested", "accepted", "deposit_paid", "confirmed"])
    .order_by("-starts_at")
    .first()
)
if booking is None:
    starts_at = (timezone.localtime() + dt.timedelta(days=90)).replace(hour=15, minute=0, second=0, microsecond=0)
    booking = booking_request(client=client, service=service, starts_at=starts_at, venue=VENUE)
next_action = {"requested": "accept", "accepted": "mark_deposit_paid", "deposit_paid": "mark_paid"}
while booking.state in next_action:
    booking = booking_transition(booking=booking, action=next_action[booking.state], actor=band)
if booking.state != "confirmed" or booking.payments.count() != 2:
    raise SystemExit(f"bench booking {booking.public_id}: {booking.state}, {booking.payments.count()} payments")

session = SessionStore()
session["_auth_user_id"] = str(client.pk)
session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
session["_auth_user_hash"] = client.get_session_auth_hash()
session.save()

event = {
    "id": "evt_bench_replayed",
    "object": "event",
    "type": "checkout.session.completed",
    "livemode": False,
    "data": {"object": {"id": "cs_test_bench", "object": "checkout.session", "payment_status": "paid"}},
}
WebhookEvent.objects.get_or_create(
    event_id=event["id"], defaults={"type": event["type"], "outcome": "recorded by make bench, replayed under load"}
)
print("BENCH_DATA " + json.dumps({"booking": str(booking.public_id), "session": session.session_key, "event": event}))
"""


class BenchError(Exception):
    """Something the benchmark needs is missing or broken: stop and say what."""


@dataclass
class Case:
    name: str
    path: str
    target: float | None = None  # minimum requests/s as a share of the floor
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""  # sent as a POST when set
    status: int | None = None  # of the check request
    note: str = ""
    requests_per_second: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    requests: int | None = None
    errors: list[str] = field(default_factory=list)  # the numbers are not valid
    warnings: list[str] = field(default_factory=list)  # valid, but read them with this in mind

    @property
    def measured(self) -> bool:
        return self.requests_per_second is not None and not self.errors

    @property
    def method(self) -> str:
        return "POST" if self.body else "GET"


def shown(args: list) -> str:
    """A command line as the report shows it: paths inside the project relative to it."""
    return shlex.join(str(a).removeprefix(f"{ROOT}/") for a in args)


@dataclass
class Run:
    commands: list[str] = field(default_factory=list)

    def sh(
        self, args: list, *, env: dict | None = None, show_env: str = "", check: bool = True, line: str = "", **kwargs
    ):
        """Run a command, remember it for the report (as `line` when given), and fail loudly if it fails."""
        line = line or shown(args)
        self.commands.append(f"{show_env} {line}".strip())
        print(f"$ {line}", flush=True)
        result = subprocess.run([str(a) for a in args], env=env or ENV, cwd=ROOT, check=False, **kwargs)
        if check and result.returncode != 0:
            raise BenchError(f"command failed with exit code {result.returncode}: {line}")
        return result


def capture(args: list[str]) -> str:
    result = subprocess.run(args, env=ENV, cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip()


def psql(sql: str) -> str:
    return capture(["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", DB_NAME, "-Atc", sql])


def require_tools() -> None:
    if not shutil.which("wrk"):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print("wrk is missing: installing the Debian package", flush=True)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
        else:
            raise BenchError("wrk is not installed: sudo apt-get install -y wrk")
    for tool in ("curl", "pg_isready", "psql", "createdb"):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is not installed (Debian: apt-get install -y curl postgresql-client)")
    if not GUNICORN.exists():
        raise BenchError(f"{GUNICORN} is missing: run make run or make test once to build the virtualenv")


def postgres_ready() -> bool:
    args = ["pg_isready", "-q", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER]
    return subprocess.run(args, check=False).returncode == 0


def ensure_postgres(run: Run) -> None:
    if postgres_ready():
        return
    clusters = capture(["pg_lsclusters", "--no-header"]) if shutil.which("pg_lsclusters") else ""
    for line in clusters.splitlines():
        version, name, port = line.split()[:3]
        if port == PG_PORT:
            run.sh(["pg_ctlcluster", version, name, "start"], check=False)
    for _ in range(30):
        if postgres_ready():
            return
        time.sleep(1)
    raise BenchError(
        f"PostgreSQL is not accepting connections on {PG_HOST}:{PG_PORT} "
        f"(trust auth for user {PG_USER} is expected). Start it and run make bench again."
    )


def ensure_database(run: Run) -> None:
    exists = capture(
        ["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", "postgres", "-Atc",
         f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"]
    )  # fmt: skip
    if exists != "1":
        run.sh(["createdb", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, DB_NAME])


def port_in_use() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, PORT)) == 0


def wait_for_health(server: subprocess.Popen, log_name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited with code {server.returncode}: see {OUT / log_name}")
        try:
            with urllib.request.urlopen(f"{BASE_URL}/health", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise BenchError(f"gunicorn did not answer /health within {timeout:.0f} s: see {OUT / log_name}")


def check(run: Run, case: Case) -> str:
    """One request with curl before measuring; returns the body."""
    body_file = OUT / f"{slug(case.name)}.body"
    args = ["curl", "-sS", "--max-time", "30", "-o", body_file, "-w", "%{http_code}"]
    for key, value in case.headers.items():
        args += ["-b", value] if key == "Cookie" else ["-H", f"{key}: {value}"]
    if case.body:
        request_file = OUT / f"{slug(case.name)}.request.json"
        request_file.write_text(case.body)
        args += ["--data-binary", f"@{request_file.relative_to(ROOT)}"]
    result = run.sh([*args, BASE_URL + case.path], capture_output=True, text=True, check=False)
    case.status = int(result.stdout.strip() or 0)
    return body_file.read_text(errors="replace") if body_file.exists() else ""


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()
    return float(number) * UNITS_MS[unit]


def parse_wrk(output: str, case: Case) -> None:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and total):
        case.errors.append("could not parse the wrk output")
        return
    case.requests_per_second = float(rps.group(1))
    case.p50_ms, case.p99_ms = to_ms(p50.group(1)), to_ms(p99.group(1))
    case.requests = int(total.group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if bad:
        case.errors.append(f"{bad.group(1)} non-2xx/3xx responses")
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if sockets and any(int(n) for n in sockets.groups()):
        # Timeouts are requests slower than wrk's 2 s limit: left out of the latencies above.
        case.warnings.append("socket errors: " + sockets.group(0).split(": ", 1)[1])


def measure(run: Run, case: Case, duration: int) -> None:
    url = BASE_URL + case.path
    common = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}"]
    if case.body:  # wrk sends anything but a GET through a Lua script
        script = OUT / f"{slug(case.name)}.lua"
        lines = [f'wrk.method = "{case.method}"', f"wrk.body = {json.dumps(case.body)}"]
        lines += [f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}" for key, value in case.headers.items()]
        script.write_text("\n".join(lines) + "\n")
        common += ["-s", script]
    else:
        for key, value in case.headers.items():
            common += ["-H", f"{key}: {value}"]
    run.sh([*common, f"-d{WARMUP_SECONDS}s", url], capture_output=True, text=True)  # warm-up, discarded
    result = run.sh([*common, f"-d{duration}s", "--latency", url], capture_output=True, text=True)
    (OUT / f"{slug(case.name)}.wrk.txt").write_text(result.stdout)
    print(result.stdout, flush=True)
    parse_wrk(result.stdout, case)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def stop(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    print(f"gunicorn stopped (pid {server.pid})", flush=True)


def on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def machine() -> dict[str, str]:
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kb = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = re.search(r"model name\s+:\s+(.+)", cpuinfo)
    return {
        "cores (nproc)": str(os.cpu_count()),
        "memory": f"{int(mem_kb.group(1)) / 1024 / 1024:.1f} GiB" if mem_kb else "unknown",
        "CPU": cpu.group(1).strip() if cpu else platform.processor() or "unknown",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "PostgreSQL": psql("SHOW server_version") or "unknown",
        "wrk": capture(["wrk", "--version"]).splitlines()[0].split(" Copyright")[0] if shutil.which("wrk") else "",
        "gunicorn": capture([str(GUNICORN), "--version"]),
    }


def load_average() -> str:
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) + " (1, 5, 15 min)" if path.exists() else "unknown"


def write_report(
    cases: list[Case],
    *,
    workers: int,
    duration: int,
    run: Run,
    data: dict,
    started: dt.datetime,
    load_before: str,
    load_after: str,
):
    floor = cases[0].requests_per_second if cases[0].measured else None
    lines = [
        "# GigSta benchmark",
        "",
        f"Written by `make bench` (bench/run.py) on {started:%Y-%m-%d %H:%M} UTC. Re-run it to refresh.",
        "",
        f"wrk `-t{THREADS} -c{CONNECTIONS} -d{duration}s --latency` on loopback, each case after a "
        f"{WARMUP_SECONDS} s warm-up; gunicorn with {workers} sync workers; PostgreSQL with persistent connections. "
        f"API_ANON_THROTTLE={ENV['API_ANON_THROTTLE']} and API_USER_THROTTLE={ENV['API_USER_THROTTLE']} lift the "
        "API's rate limits per client address (300/m and 1,200/m), which would answer wrk, a single address, "
        "with 429 within a second.",
        "",
        "| case | request | requests/s | p50 ms | p99 ms | ratio to floor | notes |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for case in cases:
        if case.measured:
            ratio = f"{case.requests_per_second / floor:.2f}x" if floor else "-"
            row = [fmt(case.requests_per_second), fmt(case.p50_ms, 2), fmt(case.p99_ms, 2), ratio]
            notes = [f"{case.requests:,} requests", *case.warnings]
        else:
            row = [case.note or "; ".join(case.errors) or "not measured", "-", "-", "-"]
            notes = case.errors if case.note else []
        lines.append(f"| {case.name} | `{case.method} {case.path}` | " + " | ".join(row) + f" | {'; '.join(notes)} |")
    lines += ["", "## Targets", "", "| case | target | result |", "| --- | --- | --- |"]
    for case in cases:
        if case.target is None:
            continue
        if case.measured and floor:
            ratio = case.requests_per_second / floor
            verdict = f"{'PASS' if ratio >= case.target else 'FAIL'} ({ratio:.2f}x)"
        else:
            verdict = "not measured: " + (case.note or "; ".join(case.errors) or "no floor")
        lines.append(f"| {case.name} | >= {case.target:.2f}x floor | {verdict} |")
    lines += [
        "",
        "wrk repeats one URL, so with the search answer cache on (the default) the first two search rows "
        'mostly measure cached answers. The rows marked "cache off" send the same requests to a second '
        f"gunicorn started with {' '.join(f'{k}={v}' for k, v in CACHE_OFF.items())}: every request searches "
        "the database. Their targets are the same, for information.",
        "",
        "The booking page is `GET /bookings/<id>/` as the booking's client (the demo client, logged in with a "
        "database session cookie): a confirmed booking of the demo band paid with a 30 % deposit and the balance, "
        "so the page renders the money panel, two receipts and a history with money lines. It is not cached; the "
        "test suite asserts 5 queries for it (user, booking, reviews, events, ledger) plus 1 for the session with "
        "database sessions, as here (no REDIS_URL): 6 per request.",
        "",
        "The Stripe webhook row posts a `checkout.session.completed` event whose id is already processed, the "
        "duplicate that Stripe's retries send, to the first gunicorn, started with "
        f"{' '.join(f'{k}={v}' for k, v in STRIPE_ENV.items())}; it is signed just before the check (Stripe "
        "accepts a signature for 300 s). Each request verifies the signature with the stripe library, then one "
        'indexed read (does this event id exist?) and answers 200 `{"outcome": "duplicate"}`; nothing is '
        "written, no session, no user.",
    ]
    notes = [f"- {case.name}: {case.note}" for case in cases if case.note and case.measured]
    if notes:
        lines += ["", "Checks before measuring:", "", *notes]
    lines += ["", "## Machine", "", "| | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in machine().items()]
    lines.append(f"| gunicorn workers | {workers} (sync, 2 x cores) |")
    lines.append(f"| load average before measuring | {load_before} |")
    lines.append(f"| load average after measuring | {load_after} |")
    lines += [
        "",
        "wrk runs on the same cores as gunicorn and PostgreSQL, so the benchmark's own load shows in the "
        "value after measuring. A load average before measuring well above 0 means other work shared the "
        "cores: run it again on a quiet machine before comparing numbers.",
        "",
    ]
    lines += ["## Data", "", "| | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in data.items()]
    lines += ["", "## Commands", "", "```sh", *run.commands, "```", ""]
    (BENCH / "report.md").write_text("\n".join(lines))


def describe(case: Case, body: str) -> str:
    """Note what a 200 check returned; the reason when it is not what the case means to measure."""
    if case.path == WEBHOOK_PATH:
        try:
            outcome = json.loads(body)["outcome"]
        except (ValueError, KeyError, TypeError):
            outcome = None
        case.note = f'check answered {{"outcome": "{outcome}"}} to a {len(case.body.encode()):,}-byte event'
        return "" if outcome == "duplicate" else 'expected {"outcome": "duplicate"}'
    if case.path.startswith("/api/"):
        try:
            case.note = f"check returned {json.loads(body)['count']} matching services"
        except (ValueError, KeyError, TypeError):
            case.note = "check returned 200 but not the expected JSON"
    elif case.path.startswith("/bookings/"):
        receipts, money_lines = body.count('data-testid="receipt-link"'), body.count('data-testid="event-money"')
        case.note = (
            f"check returned a {len(body.encode()):,}-byte page with the money panel, {receipts} receipts "
            f"and {money_lines} money lines in the history"
        )
        if 'data-testid="money"' not in body or receipts < 2 or money_lines < 2:
            return "expected the money panel, 2 receipts and 2 money lines (the client's page of the paid booking)"
    elif case.path != "/health":
        case.note = f"check returned a {len(body.encode()):,}-byte page"
    return ""


def check_and_measure(run: Run, case: Case, duration: int) -> bool:
    """Check the case answers 200, then measure it. False when something is broken."""
    body = check(run, case)
    ok = True
    request = f"{case.method} {case.path}"
    problem = describe(case, body) if case.status == 200 else ""
    if case.status == 200 and not problem:
        measure(run, case, duration)
    elif case.status == 200:
        ok = False
        case.note = f"FAILED: {problem}; {case.note}"
        print(f"\n*** {case.name}: {request}: {case.note}:\n{body[:2000]}\n", flush=True)
    elif case.status == 404 and case.path != "/health" and not case.headers:
        case.note = "not available (HTTP 404)"
        print(f"\n*** {case.name}: {request} answered 404: reported as not available.\n", flush=True)
    else:
        ok = False
        case.note = f"FAILED: check answered HTTP {case.status}"
        print(f"\n*** {case.name}: {request} answered HTTP {case.status}:\n{body[:2000]}\n", flush=True)
    if case.errors:
        ok = False
        print(f"*** {case.name}: {'; '.join(case.errors)}", flush=True)
    if case.warnings:
        print(f"*** {case.name}: {'; '.join(case.warnings)}", flush=True)
    return ok


def start_server(run: Run, *, workers: int, extra_env: dict[str, str], log_name: str) -> subprocess.Popen:
    if port_in_use():
        raise BenchError(f"something already listens on {HOST}:{PORT}: stop it and run make bench again")
    args = [
        GUNICORN, "gigsta.wsgi:application", "--workers", workers, "--worker-class", "sync",
        "--bind", f"{HOST}:{PORT}", "--log-level", "warning",
    ]  # fmt: skip
    env_shown = " ".join([ENV_SHOWN, *(f"{key}={value}" for key, value in extra_env.items())])
    run.commands.append(f"{env_shown} {shown(args)}")
    print(f"$ {env_shown} {shown(args)}", flush=True)
    with (OUT / log_name).open("w") as log:
        return subprocess.Popen(
            [str(a) for a in args],
            env={**ENV, **extra_env},
            cwd=ROOT,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


def prepare_cases(run: Run) -> tuple[Case, Case]:
    """The booking page and the replayed webhook, from the data SETUP_SCRIPT makes (signed later)."""
    script_file = OUT / "setup.py"
    script_file.write_text(SETUP_SCRIPT)
    args = [PYTHON, "manage.py", "shell", "-c"]
    line = f'{shown(args)} "$(cat {shown([script_file])})"'
    result = run.sh([*args, SETUP_SCRIPT], show_env=ENV_SHOWN, line=line, stdout=subprocess.PIPE, text=True)
    found = [row for row in result.stdout.splitlines() if row.startswith("BENCH_DATA ")]
    if not found:
        raise BenchError(f"the setup script printed no BENCH_DATA line: see {script_file}")
    data = json.loads(found[-1].removeprefix("BENCH_DATA "))
    booking = Case("booking page", f"/bookings/{data['booking']}/", headers={"Cookie": f"sessionid={data['session']}"})
    webhook = Case(
        "Stripe webhook, replayed event",
        WEBHOOK_PATH,
        headers={"Content-Type": "application/json; charset=utf-8"},
        body=json.dumps(data["event"]),
    )
    return booking, webhook


def sign_webhook(case: Case) -> None:
    """Stripe's signature header, timestamped now: the check, warm-up and run must end within
    Stripe's 300 s tolerance (any --duration up to about 280 s)."""
    import stripe  # the project's library, in the virtualenv make bench runs with

    secret = STRIPE_ENV["STRIPE_WEBHOOK_SECRET"]
    case.headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(case.body, secret)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=20_000, help="seeded providers (default 20000)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement (default 15)")
    args = parser.parse_args()

    started = dt.datetime.now(dt.UTC)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    OUT.mkdir(parents=True, exist_ok=True)
    run = Run()
    workers = 2 * (os.cpu_count() or 1)
    date = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    page = f"/search?q=band&category=live-music&city=Berlin%2C+Germany&radius_km=50&date={date}"
    api = f"/api/services?q=band&category=live-music&lat=52.52437&lng=13.41053&radius_km=50&date={date}"
    default_cases = [Case("floor", "/health"), Case("search page", page, 0.20), Case("API search", api, 0.30)]
    cache_off_cases = [Case("search page, cache off", page, 0.20), Case("API search, cache off", api, 0.30)]
    server = None
    ok = True
    try:
        require_tools()
        ensure_postgres(run)
        ensure_database(run)
        run.sh([PYTHON, "manage.py", "migrate", "--no-input"], show_env=ENV_SHOWN)
        run.sh([PYTHON, "manage.py", "seed_demo", "--providers", args.providers], show_env=ENV_SHOWN)
        # Fresh planner statistics after bulk loading, as autovacuum would give a live database.
        run.sh(["psql", "-q", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", DB_NAME, "-c", "VACUUM ANALYZE"])
        run.sh([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], show_env=ENV_SHOWN)
        default_cases += prepare_cases(run)

        load_before = load_average()
        for cases, extra_env, log_name in (
            (default_cases, STRIPE_ENV, "gunicorn.log"),
            (cache_off_cases, CACHE_OFF, "gunicorn-cache-off.log"),
        ):
            server = start_server(run, workers=workers, extra_env=extra_env, log_name=log_name)
            wait_for_health(server, log_name)
            for case in cases:
                if case.path == WEBHOOK_PATH:
                    sign_webhook(case)
                ok = check_and_measure(run, case, args.duration) and ok
            stop(server)
            server = None
        load_after = load_average()
    except BenchError as exc:
        print(f"\n*** make bench failed: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\n*** make bench interrupted", file=sys.stderr, flush=True)
        return 130
    finally:
        stop(server)

    data = {
        "providers": psql("SELECT count(*) FROM accounts_user WHERE role = 'provider'"),
        "services (active)": f"{psql('SELECT count(*) FROM catalog_service')} "
        f"({psql('SELECT count(*) FROM catalog_service WHERE is_active')})",
        "search keywords": psql("SELECT count(*) FROM catalog_servicekeyword"),
        "busy days": psql("SELECT count(*) FROM catalog_busyday"),
        "database size": psql(f"SELECT pg_size_pretty(pg_database_size('{DB_NAME}'))"),
        "code": capture(["git", "describe", "--always", "--dirty"]) or "unknown",
    }
    write_report(
        default_cases + cache_off_cases,
        workers=workers,
        duration=args.duration,
        run=run,
        data=data,
        started=started,
        load_before=load_before,
        load_after=load_after,
    )
    print((BENCH / "report.md").read_text(), flush=True)
    print(f"Report written to {BENCH / 'report.md'}; raw output in {OUT}/", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
