# Reads versions and sizes from fixed local tools (wrk, gunicorn, git, psql).
# ruff: noqa: S603, S608
"""bench/report.md: the measured cases against the floor, the machine, the data and the commands."""

import datetime as dt
import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import (
    BENCH,
    BESIDE_SECONDS,
    CACHE_OFF,
    CONNECTIONS,
    ENV,
    STRIPE_ENV,
    THREADS,
    WARMUP_SECONDS,
    Case,
    Run,
    Single,
)
from bench.plot import plot_size_curve
from deploy.processes import GUNICORN, ROOT, psql

SINGLE_TARGET_MS = 50
GROWTH_TARGET = 0.7  # search throughput at the largest size, as a share of the smallest's
CURVE = "size-curve.png"


@dataclass
class SizeResult:
    """Everything measured on one catalogue size."""

    providers: int
    database: str
    cases: list[Case]
    single: Single
    ok: bool
    data: dict[str, str] = field(default_factory=dict)

    @property
    def floor(self) -> float | None:
        return self.cases[0].requests_per_second if self.cases[0].measured else None

    def ratio(self, case: Case) -> float | None:
        """To the floor measured just before the case on the same server, else to the run's."""
        floor = case.floor_rps or self.floor
        return case.requests_per_second / floor if case.measured and floor else None


def capture(args: list) -> str:
    """A tool's output, or "" when it fails: for the report's information only."""
    result = subprocess.run([str(a) for a in args], cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip()


def count(sql: str, database: str) -> str:
    return psql(sql, database=database)


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
        "PostgreSQL": psql("SHOW server_version", database="postgres") or "unknown",
        "wrk": capture(["wrk", "--version"]).splitlines()[0].split(" Copyright")[0] if shutil.which("wrk") else "",
        "gunicorn": capture([GUNICORN, "--version"]),
    }


def data(database: str) -> dict[str, str]:
    return {
        "providers": count("SELECT count(*) FROM accounts_user WHERE role = 'provider'", database),
        "services (active)": f"{count('SELECT count(*) FROM catalog_service', database)} "
        f"({count('SELECT count(*) FROM catalog_service WHERE is_active', database)})",
        "search keywords": count("SELECT count(*) FROM catalog_servicekeyword", database),
        "busy days": count("SELECT count(*) FROM catalog_busyday", database),
        "database size": count(f"SELECT pg_size_pretty(pg_database_size('{database}'))", database),
    }


def load_average() -> str:
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) + " (1, 5, 15 min)" if path.exists() else "unknown"


def cases_table(result: SizeResult) -> list[str]:
    lines = [
        "| case | request | requests/s | p50 ms | p99 ms | floor beside | ratio to floor | load | notes |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for case in result.cases:
        request = f"1,000 paths from `{case.paths_file.name}`" if case.paths_file else f"`{case.method} {case.path}`"
        if case.measured:
            ratio = result.ratio(case)
            row = [fmt(case.requests_per_second), fmt(case.p50_ms, 2), fmt(case.p99_ms, 2), fmt(case.floor_rps)]
            row += [f"{ratio:.3f}x", case.load]
            notes = [f"{case.requests:,} requests", *case.warnings]
        else:
            row = [case.note or "; ".join(case.errors) or "not measured", "-", "-", "-", "-", case.load]
            notes = case.errors if case.note else []
        lines.append(f"| {case.name} | {request} | " + " | ".join(row) + f" | {'; '.join(notes)} |")
    return [
        *lines,
        "",
        f"Floor beside: `/health` measured for {BESIDE_SECONDS} s just before the case on the same freshly started "
        "gunicorn; the ratio is to it. Load: the 1-minute load average as the case started (2 cores; well above "
        "2 means other work shared the machine).",
    ]


def single_lines(single: Single) -> list[str]:
    p50, p95 = single.percentile(0.50), single.percentile(0.95)
    lines = [
        f"Each of the {len(single.times_ms):,} API searches alone, in turn, no other load (time to the whole "
        f"answer as the client saw it on loopback, an upper bound for the server's time): p50 {fmt(p50)} ms, "
        f"p95 {fmt(p95)} ms, max {fmt(single.percentile(1.0))} ms. Slowest:",
        "",
    ]
    lines += [f"- {ms:,.1f} ms `{path}`" for ms, path in single.slowest()]
    return lines


def _search_rps(result: SizeResult) -> float | None:
    """Search throughput: the page and API searches' requests/s, summed."""
    rates = [c.requests_per_second for c in result.cases if c.paths_file and "search" in c.name and c.measured]
    return sum(rates) if len(rates) == 2 else None


def curve_lines(results: list[SizeResult]) -> list[str]:
    names = [c.name for c in results[0].cases[1:]]
    header = "| case | " + " | ".join(f"{r.providers:,} providers" for r in results) + " |"
    lines = [header, "| --- |" + " ---: |" * len(results)]
    lines.append("| floor `/health` | " + " | ".join(f"{fmt(r.floor)} req/s" for r in results) + " |")
    for i, name in enumerate(names, start=1):
        cells = []
        for r in results:
            case = r.cases[i]
            ratio = r.ratio(case)
            cells.append(f"{fmt(case.requests_per_second)} ({fmt(case.p50_ms, 0)} ms, {ratio:.3f}x)" if ratio else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| single search p95 | " + " | ".join(f"{fmt(r.single.percentile(0.95))} ms" for r in results) + " |")
    first, last = _search_rps(results[0]), _search_rps(results[-1])
    lines += ["", "Cells: requests/s (p50 latency, ratio to the floor of the same size)."]
    if first and last:
        growth = last / first
        verdict = "PASS" if growth >= GROWTH_TARGET else "FAIL"
        lines += [
            "",
            f"Search throughput (page + API, requests/s) at {results[-1].providers:,} providers is {growth:.2f}x its "
            f"value at {results[0].providers:,}: {verdict} (target >= {GROWTH_TARGET:.1f}x).",
        ]
    series = {name: [r.ratio(r.cases[i]) for r in results] for i, name in enumerate(names, start=1)}
    targets = {c.name: c.target for c in results[-1].cases if c.target is not None}
    plot_size_curve(BENCH / CURVE, sizes=[r.providers for r in results], series=series, targets=targets)
    return [*lines, "", f"![Throughput as a share of the floor by catalogue size]({CURVE})"]


def write_report(
    results: list[SizeResult],
    *,
    workers: int,
    duration: int,
    run: Run,
    started: dt.datetime,
    load_before: str,
    load_after: str,
):
    largest = results[-1]
    lines = [
        "# GigSta benchmark",
        "",
        f"Written by `make bench` (bench/run.py) on {started:%Y-%m-%d %H:%M} UTC. Re-run it to refresh.",
        "",
        f"wrk `-t{THREADS} -c{CONNECTIONS} -d{duration}s --latency` on loopback, each case after a "
        f"{WARMUP_SECONDS} s warm-up, on a freshly started gunicorn with {workers} sync workers; PostgreSQL with "
        f"persistent connections; Redis ({ENV['REDIS_URL']}) for sessions, rate-limit counters and the catalog "
        "version, as compose.yml deploys it; "
        f"the search answer cache off ({' '.join(f'{k}={v}' for k, v in CACHE_OFF.items())}). "
        f"API_ANON_THROTTLE={ENV['API_ANON_THROTTLE']} and API_USER_THROTTLE={ENV['API_USER_THROTTLE']} lift the "
        "API's rate limits per client address (300/m and 1,200/m), which would answer wrk, a single address, "
        "with 429 within a second.",
        "",
        "The varied cases send, through `bench/varied.lua`, 1,000 different paths in turn (each wrk thread "
        "from its own offset), written by `manage.py bench_workload` with a fixed seed: searches with words "
        "and word prefixes, categories, cities with and without a radius, free-that-day dates, price limits, "
        "every sort and pages 1-3 (the same questions as the page, by city name, and as the API, by "
        "coordinates); 1,000 different active services and 1,000 different providers.",
        "",
        f"## {largest.providers:,} providers",
        "",
        *cases_table(largest),
        "",
        *single_lines(largest.single),
        "",
        "## Targets",
        "",
        "| case | target | result |",
        "| --- | --- | --- |",
    ]
    for case in largest.cases:
        if case.target is None:
            continue
        ratio = largest.ratio(case)
        verdict = f"{'PASS' if ratio >= case.target else 'FAIL'} ({ratio:.3f}x)" if ratio else "not measured"
        lines.append(f"| {case.name} | >= {case.target:.2f}x floor | {verdict} |")
    p95 = largest.single.percentile(0.95)
    if p95 is not None:
        verdict = "PASS" if p95 < SINGLE_TARGET_MS else "FAIL"
        lines.append(f"| single search, no load | p95 < {SINGLE_TARGET_MS} ms | {verdict} ({p95:,.1f} ms) |")
    if len(results) > 1:
        lines += ["", "## Size curve", "", *curve_lines(results)]
        for result in results[:-1]:
            lines += ["", f"### {result.providers:,} providers", "", *cases_table(result)]
            lines += ["", *single_lines(result.single)]
    lines += [
        "",
        "The booking page is `GET /bookings/<id>/` as the booking's client (the demo client, logged in with a "
        "session cookie): a confirmed booking of the demo band paid with a 30 % deposit and the balance, "
        "so the page renders the money panel, two receipts and a history with money lines. It is not cached.",
        "",
        "The Stripe webhook row posts a `checkout.session.completed` event whose id is already processed, the "
        "duplicate that Stripe's retries send, to a gunicorn started with "
        f"{' '.join(f'{k}={v}' for k, v in STRIPE_ENV.items())}; it is signed just before the check (Stripe "
        "accepts a signature for 300 s). Each request verifies the signature with the stripe library, then one "
        'indexed read (does this event id exist?) and answers 200 `{"outcome": "duplicate"}`; nothing is '
        "written, no session, no user.",
    ]
    notes = [f"- {case.name}: {case.note}" for case in largest.cases if case.note and case.measured]
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
        "## Data",
        "",
        "| | " + " | ".join(f"`{r.database}`" for r in results) + " |",
        "| --- |" + " --- |" * len(results),
    ]
    tables = [data(r.database) for r in results]
    lines += [f"| {key} | " + " | ".join(t[key] for t in tables) + " |" for key in tables[0]]
    lines.append(f"| code | {capture(['git', 'describe', '--always', '--dirty']) or 'unknown'} |")
    lines += ["", "## Commands", "", "```sh", *run.commands, "```", ""]
    (BENCH / "report.md").write_text("\n".join(lines))
