# Installs wrk with apt-get when it is missing and allowed to.
# ruff: noqa: S607, S603
"""`make bench`: GigSta under varied load (searches, pages, a webhook), against a fixed floor, on this machine.

For each catalogue size (`--providers N`, or `--sizes 10000,30000,100000` for the size curve) it
prepares a PostgreSQL database of its own (gigsta_bench_N: migrated, N seeded providers with about
three services each, and from `manage.py bench_setup` a paid demo booking with a logged-in client
session and a processed Stripe event), writes the varied workload (`manage.py bench_workload`:
1,000 distinct searches, 1,000 service and 1,000 provider pages), then on gunicorn with sync
workers (2 x cores) on 127.0.0.1:8765, search answer cache off, restarted for every case: times
each of the 1,000 searches alone, then measures the cases with wrk on loopback (the floor, the
varied searches as page and API, the varied service and provider pages through bench/varied.lua,
a booking page, a replayed Stripe webhook). Writes bench/report.md and, with more than one size,
bench/size-curve.png; stops gunicorn whatever happens. Raw wrk output, the checked response
bodies, the commands' output and the gunicorn logs go to bench/out/.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.measure import (
    BENCH,
    BESIDE_SECONDS,
    CACHE_OFF,
    OUT,
    PORT,
    REDIS_URL,
    STRIPE_ENV,
    WEBHOOK_PATH,
    BenchError,
    Case,
    Run,
    bench_env,
    check_and_measure,
    database_for,
    single_searches,
    slug,
)
from bench.report import SizeResult, load_average, write_report
from deploy.processes import (
    GUNICORN,
    HOST,
    PG_HOST,
    PG_PORT,
    PG_USER,
    PYTHON,
    ProcessError,
    command_line,
    database_create,
    interrupt_on_termination,
    postgres_ensure_running,
    serving,
)


def require_tools() -> None:
    if not shutil.which("wrk"):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print("wrk is missing: installing the Debian package", flush=True)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
        else:
            raise BenchError("wrk is not installed: sudo apt-get install -y wrk")
    for tool in ("curl", "pg_isready", "psql", "redis-cli"):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is not installed (Debian: apt-get install -y curl postgresql-client redis-tools)")
    answer = subprocess.run(["redis-cli", "-u", REDIS_URL, "ping"], capture_output=True, text=True, check=False)
    if answer.stdout.strip() != "PONG":
        raise BenchError(f"Redis does not answer at {REDIS_URL}: start it (Debian: apt-get install -y redis-server)")
    if not GUNICORN.exists():
        raise BenchError(f"{GUNICORN} is missing: run make run or make test once to build the virtualenv")


def gunicorn(run: Run, *, workers: int, log_name: str, extra_env: dict[str, str] | None = None):
    """gunicorn on 127.0.0.1:8765, answering /health; stopped on leaving the `with` block. The search
    answer cache is off and Stripe's test keys are set."""
    extra_env = {**CACHE_OFF, **STRIPE_ENV, **(extra_env or {})}
    args = [
        GUNICORN, "gigsta.wsgi:application", "--workers", workers, "--worker-class", "sync",
        "--bind", f"{HOST}:{PORT}", "--log-level", "warning",
    ]  # fmt: skip
    env_shown = " ".join([run.env_shown, *(f"{key}={value}" for key, value in extra_env.items())])
    if f"{env_shown} {command_line(args)}" not in run.commands:
        run.commands.append(f"{env_shown} {command_line(args)}")
    print(f"$ {env_shown} {command_line(args)}", flush=True)
    return serving("gunicorn", args, env={**run.env, **extra_env}, log=OUT / log_name, port=PORT, health="/health")


def prepare_cases(run: Run) -> tuple[Case, Case]:
    """The booking page and the replayed webhook, from the data `manage.py bench_setup` makes (signed later)."""
    output = run.sh([PYTHON, "manage.py", "bench_setup"], show_env=run.env_shown)
    found = [row for row in output.splitlines() if row.startswith("BENCH_DATA ")]
    if not found:
        raise BenchError(f"manage.py bench_setup printed no BENCH_DATA line: see {OUT / 'commands.log'}")
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


def prepare(run: Run, *, providers: int, database: str) -> None:
    """PostgreSQL, the size's database (kept between runs), migrations, the seeded catalogue, static files."""
    postgres_ensure_running()
    database_create(database, fresh=False)
    run.sh([PYTHON, "manage.py", "migrate", "--no-input"], show_env=run.env_shown)
    print(run.sh([PYTHON, "manage.py", "seed_demo", "--providers", providers], show_env=run.env_shown), flush=True)
    # Fresh planner statistics after bulk loading, as autovacuum would give a live database.
    run.sh(["psql", "-q", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", database, "-c", "VACUUM ANALYZE"])
    run.sh([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], show_env=run.env_shown)


def varied_cases(run: Run, providers: int) -> tuple[list[Case], Path]:
    """The varied workload's cases, their paths written by `manage.py bench_workload`."""
    directory = OUT / f"workload-{providers}"
    run.sh([PYTHON, "manage.py", "bench_workload", directory], show_env=run.env_shown)
    cases = [
        Case("search page, varied", "", 0.20, paths_file=directory / "search-page.txt"),
        Case("API search, varied", "", 0.30, paths_file=directory / "search-api.txt"),
        Case("service page, varied", "", 0.30, paths_file=directory / "service-page.txt"),
        Case("provider page, varied", "", 0.25, paths_file=directory / "provider-page.txt"),
    ]
    for case in cases:
        case.path = case.paths_file.read_text().split()[0]  # checked with curl before measuring
    return cases, directory


def measure_size(run: Run, *, providers: int, duration: int, workers: int) -> SizeResult:
    """Prepare one catalogue size and measure every case on it, gunicorn restarted for each."""
    database = database_for(providers)
    run.env = bench_env(database)
    print(f"\n=== {providers:,} providers (database {database})", flush=True)
    prepare(run, providers=providers, database=database)
    booking, webhook = prepare_cases(run)
    varied, directory = varied_cases(run, providers)
    with gunicorn(run, workers=workers, log_name=f"gunicorn-{providers}-single.log"):
        single = single_searches(directory / "search-api.txt", directory / "search-page.txt")
    for case in varied[:2]:
        case.path = case.paths_file.read_text().split()[0]
    cases = [Case("floor", "/health"), *varied, Case(booking.name, booking.path, 0.25, booking.headers), webhook]
    ok = True
    for case in cases:
        with gunicorn(run, workers=workers, log_name=f"gunicorn-{providers}-{slug(case.name)}.log"):
            case.load = load_average().split()[0]
            if case.name != "floor":
                beside = Case("floor beside", "/health")
                check_and_measure(run, beside, BESIDE_SECONDS)
                case.floor_rps = beside.requests_per_second
            if case.path == WEBHOOK_PATH:
                sign_webhook(case)
            ok = check_and_measure(run, case, duration) and ok
    return SizeResult(providers=providers, database=database, cases=cases, single=single, ok=ok)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=20_000, help="seeded providers (default 20000)")
    parser.add_argument(
        "--sizes", default="", help="comma-separated provider counts for the size curve, e.g. 10000,30000,100000"
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement (default 15)")
    args = parser.parse_args()
    sizes = sorted({int(n) for n in args.sizes.split(",") if n.strip()}) or [args.providers]

    started = dt.datetime.now(dt.UTC)
    interrupt_on_termination()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "commands.log").unlink(missing_ok=True)
    run = Run()
    workers = 2 * (os.cpu_count() or 1)
    results: list[SizeResult] = []
    try:
        require_tools()
        load_before = load_average()
        for providers in sizes:
            results.append(measure_size(run, providers=providers, duration=args.duration, workers=workers))
        load_after = load_average()
    except (BenchError, ProcessError) as exc:
        print(f"\n*** make bench failed: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\n*** make bench interrupted", file=sys.stderr, flush=True)
        return 130

    write_report(
        results,
        workers=workers,
        duration=args.duration,
        run=run,
        started=started,
        load_before=load_before,
        load_after=load_after,
    )
    print((BENCH / "report.md").read_text(), flush=True)
    print(f"Report written to {BENCH / 'report.md'}; raw output in {OUT}/", flush=True)
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
