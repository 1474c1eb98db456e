# Reads versions and sizes from fixed local tools (wrk, gunicorn, git, psql).
# ruff: noqa: S603, S608
"""bench/report.md: the measured cases against the floor, the machine, the data and the commands."""

import datetime as dt
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

from bench.measure import (
    BENCH,
    CACHE_OFF,
    CONNECTIONS,
    ENV,
    PG_DATABASE,
    STRIPE_ENV,
    THREADS,
    WARMUP_SECONDS,
    Case,
    Run,
)
from deploy.processes import GUNICORN, ROOT, psql


def capture(args: list) -> str:
    """A tool's output, or "" when it fails: for the report's information only."""
    result = subprocess.run([str(a) for a in args], cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip()


def count(sql: str) -> str:
    return psql(sql, database=PG_DATABASE)


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
        "PostgreSQL": count("SHOW server_version") or "unknown",
        "wrk": capture(["wrk", "--version"]).splitlines()[0].split(" Copyright")[0] if shutil.which("wrk") else "",
        "gunicorn": capture([GUNICORN, "--version"]),
    }


def data() -> dict[str, str]:
    return {
        "providers": count("SELECT count(*) FROM accounts_user WHERE role = 'provider'"),
        "services (active)": f"{count('SELECT count(*) FROM catalog_service')} "
        f"({count('SELECT count(*) FROM catalog_service WHERE is_active')})",
        "search keywords": count("SELECT count(*) FROM catalog_servicekeyword"),
        "busy days": count("SELECT count(*) FROM catalog_busyday"),
        "database size": count(f"SELECT pg_size_pretty(pg_database_size('{PG_DATABASE}'))"),
        "code": capture(["git", "describe", "--always", "--dirty"]) or "unknown",
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
    lines += [f"| {key} | {value} |" for key, value in data().items()]
    lines += ["", "## Commands", "", "```sh", *run.commands, "```", ""]
    (BENCH / "report.md").write_text("\n".join(lines))
