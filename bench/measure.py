"""The benchmark's settings and cases: each case is checked with curl, then measured with wrk."""

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from deploy.processes import HOST, ROOT, ProcessError, clean_env, command_line, postgres_url, run

BENCH = ROOT / "bench"
OUT = BENCH / "out"
PG_DATABASE = "gigsta_bench"
PORT = 8765
BASE_URL = f"http://{HOST}:{PORT}"
CONNECTIONS, THREADS, WARMUP_SECONDS = 32, 2, 3
# The floor is measured again right before each case, on the same server: other work on a shared
# machine comes and goes within a run, and a ratio should compare like with like.
BESIDE_SECONDS = 5

VARIED_SCRIPT = BENCH / "varied.lua"


def database_for(providers: int) -> str:
    """Each catalogue size keeps its own database between runs: gigsta_bench_20000, ..."""
    return f"{PG_DATABASE}_{providers}"


def bench_env(database: str) -> dict[str, str]:
    """The settings every command and server of a run gets, for the database of one size."""
    return {**ENV, "DATABASE_URL": postgres_url(database)}


REDIS_URL = "redis://127.0.0.1:6379/2"  # a database number of its own on this machine's Redis
# Only what the benchmark states, so settings in the caller's shell (REDIS_URL, ...) cannot leak in.
ENV = clean_env(
    DEBUG="0",
    SECRET_KEY="bench",
    DATABASE_URL=postgres_url(PG_DATABASE),  # default persistent connections; bench_env names each size's
    # As deployed (compose.yml): sessions, rate-limit counters and the catalog version in Redis.
    REDIS_URL=REDIS_URL,
    ALLOWED_HOSTS=HOST,
    # wrk is one client address: the API's limits per address (300/m, and 1,200/m, which ninja's
    # per-account throttle also applies to anonymous calls) would answer 429 after a second.
    API_ANON_THROTTLE="100000/s",
    API_USER_THROTTLE="100000/s",
    DJANGO_SETTINGS_MODULE="gigsta.settings",
)
SHOWN = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "API_ANON_THROTTLE", "API_USER_THROTTLE")
# Every search reads the database: the varied workload asks each question about once anyway.
CACHE_OFF = {"SEARCH_CACHE_SECONDS": "0"}
# Stripe switched on, so the webhook checks signatures (no request reaches Stripe).
STRIPE_ENV = {"STRIPE_SECRET_KEY": "sk_test_bench", "STRIPE_WEBHOOK_SECRET": "whsec_bench"}
WEBHOOK_PATH = "/payments/stripe/webhook/"


class BenchError(Exception):
    """Something the benchmark needs is missing or broken: stop and say what."""


@dataclass
class Case:
    name: str
    path: str
    target: float | None = None  # minimum requests/s as a share of the floor
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""  # sent as a POST when set
    paths_file: Path | None = None  # varied: GET each path of this file in turn (bench/varied.lua)
    floor_rps: float | None = None  # /health measured just before, on the same server
    load: str = ""  # the 1-minute load average when the case started
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


@dataclass
class Run:
    """The commands of a run, for the report; their output goes to bench/out/commands.log."""

    commands: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=lambda: dict(ENV))

    @property
    def env_shown(self) -> str:
        """The settings the report shows in front of a command."""
        return " ".join(f"{key}={self.env[key]}" for key in SHOWN)

    def sh(self, args: list, *, show_env: str = "") -> str:
        """Run a command with ENV to its end and remember it for the report (after `show_env`, the
        settings the report shows); its standard output. Raises ProcessError when it fails."""
        line = command_line(args)
        self.commands.append(f"{show_env} {line}".strip())
        print(f"$ {line}", flush=True)
        return run(args, env=self.env, log=OUT / "commands.log", timeout=None)


def check(run: Run, case: Case) -> str:
    """One request with curl before measuring; returns the body."""
    body_file = OUT / f"{slug(case.name)}.body"
    body_file.unlink(missing_ok=True)
    args = ["curl", "-sS", "--max-time", "30", "-o", body_file, "-w", "%{http_code}"]
    for key, value in case.headers.items():
        args += ["-b", value] if key == "Cookie" else ["-H", f"{key}: {value}"]
    if case.body:
        request_file = OUT / f"{slug(case.name)}.request.json"
        request_file.write_text(case.body)
        args += ["--data-binary", f"@{request_file.relative_to(ROOT)}"]
    try:
        case.status = int(run.sh([*args, BASE_URL + case.path]).strip() or 0)
    except ProcessError:  # no answer at all (curl's own error is in the log)
        case.status = 0
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
    after_url = []
    if case.paths_file is not None:
        common += ["-s", VARIED_SCRIPT]
        after_url = ["--", case.paths_file]
        url = BASE_URL + "/"
    elif case.body:  # wrk sends anything but a GET through a Lua script
        script = OUT / f"{slug(case.name)}.lua"
        lines = [f'wrk.method = "{case.method}"', f"wrk.body = {json.dumps(case.body)}"]
        lines += [f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}" for key, value in case.headers.items()]
        script.write_text("\n".join(lines) + "\n")
        common += ["-s", script]
    else:
        for key, value in case.headers.items():
            common += ["-H", f"{key}: {value}"]
    run.sh([*common, f"-d{WARMUP_SECONDS}s", url, *after_url])  # warm-up, discarded
    output = run.sh([*common, f"-d{duration}s", "--latency", url, *after_url])
    (OUT / f"{slug(case.name)}.wrk.txt").write_text(output)
    print(output, flush=True)
    parse_wrk(output, case)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


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


@dataclass
class Single:
    """Searches one at a time, no other load: each answer's time as the client saw it (loopback)."""

    times_ms: list[tuple[float, str]] = field(default_factory=list)

    def percentile(self, share: float) -> float | None:
        ordered = sorted(ms for ms, _ in self.times_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else None

    def slowest(self, count: int = 5) -> list[tuple[float, str]]:
        return sorted(self.times_ms, reverse=True)[:count]


def single_searches(api_file: Path, page_file: Path) -> Single:
    """Each API search once, in turn, timed; a page past the last (422) is asked as page 1 instead, in
    both files, so the varied workload only asks answerable questions."""
    api_paths, page_paths = api_file.read_text().split(), page_file.read_text().split()
    single = Single()
    for i, path in enumerate(api_paths):
        started = time.perf_counter()
        status = _get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if status == 422 and "page=" in path:
            api_paths[i], page_paths[i] = (_first_page(p) for p in (path, page_paths[i]))
            started = time.perf_counter()
            status = _get(api_paths[i])
            elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise BenchError(f"GET {api_paths[i]} answered HTTP {status}")
        single.times_ms.append((elapsed, api_paths[i]))
    api_file.write_text("\n".join(api_paths) + "\n")
    page_file.write_text("\n".join(page_paths) + "\n")
    return single


def _first_page(path: str) -> str:
    base, _, query = path.partition("?")
    return f"{base}?{urlencode([(k, v) for k, v in parse_qsl(query) if k != 'page'])}"


def _get(path: str) -> int:
    try:
        with urllib.request.urlopen(BASE_URL + path, timeout=60) as response:  # noqa: S310 (loopback)
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
