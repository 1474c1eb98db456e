# Installs wrk with apt-get when it is missing and allowed to.
# ruff: noqa: S607
"""`make bench`: GigSta under load (search, a booking page, a webhook), against a fixed floor, on this machine.

Prepares PostgreSQL (database gigsta_bench, migrated, 20,000 seeded providers, and from
`manage.py bench_setup` a paid demo booking with a logged-in client session and a processed
Stripe event), starts gunicorn with sync workers (2 x cores) on 127.0.0.1:8765, measures five
cases with wrk on loopback (the floor, the search page, the API search, a booking page, a
replayed Stripe webhook), then the two searches again on a gunicorn with the search answer cache
off. Writes bench/report.md and stops gunicorn whatever happens. Raw wrk output, the checked
response bodies, the commands' output and the gunicorn logs go to bench/out/.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys

from bench.measure import (
    BENCH,
    CACHE_OFF,
    ENV,
    ENV_SHOWN,
    OUT,
    PG_DATABASE,
    PORT,
    STRIPE_ENV,
    WEBHOOK_PATH,
    BenchError,
    Case,
    Run,
    check_and_measure,
)
from bench.report import load_average, write_report
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
    for tool in ("curl", "pg_isready", "psql"):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is not installed (Debian: apt-get install -y curl postgresql-client)")
    if not GUNICORN.exists():
        raise BenchError(f"{GUNICORN} is missing: run make run or make test once to build the virtualenv")


def gunicorn(run: Run, *, workers: int, extra_env: dict[str, str], log_name: str):
    """gunicorn on 127.0.0.1:8765, answering /health; stopped on leaving the `with` block."""
    args = [
        GUNICORN, "gigsta.wsgi:application", "--workers", workers, "--worker-class", "sync",
        "--bind", f"{HOST}:{PORT}", "--log-level", "warning",
    ]  # fmt: skip
    env_shown = " ".join([ENV_SHOWN, *(f"{key}={value}" for key, value in extra_env.items())])
    run.commands.append(f"{env_shown} {command_line(args)}")
    print(f"$ {env_shown} {command_line(args)}", flush=True)
    return serving("gunicorn", args, env={**ENV, **extra_env}, log=OUT / log_name, port=PORT, health="/health")


def prepare_cases(run: Run) -> tuple[Case, Case]:
    """The booking page and the replayed webhook, from the data `manage.py bench_setup` makes (signed later)."""
    output = run.sh([PYTHON, "manage.py", "bench_setup"], show_env=ENV_SHOWN)
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


def prepare(run: Run, *, providers: int) -> None:
    """PostgreSQL, the database (kept between runs), migrations, the seeded catalogue, static files."""
    require_tools()
    postgres_ensure_running()
    database_create(PG_DATABASE, fresh=False)
    run.sh([PYTHON, "manage.py", "migrate", "--no-input"], show_env=ENV_SHOWN)
    print(run.sh([PYTHON, "manage.py", "seed_demo", "--providers", providers], show_env=ENV_SHOWN), flush=True)
    # Fresh planner statistics after bulk loading, as autovacuum would give a live database.
    run.sh(["psql", "-q", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", PG_DATABASE, "-c", "VACUUM ANALYZE"])
    run.sh([PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], show_env=ENV_SHOWN)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=20_000, help="seeded providers (default 20000)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement (default 15)")
    args = parser.parse_args()

    started = dt.datetime.now(dt.UTC)
    interrupt_on_termination()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "commands.log").unlink(missing_ok=True)
    run = Run()
    workers = 2 * (os.cpu_count() or 1)
    date = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    page = f"/search?q=band&category=live-music&city=Berlin%2C+Germany&radius_km=50&date={date}"
    api = f"/api/services?q=band&category=live-music&lat=52.52437&lng=13.41053&radius_km=50&date={date}"
    default_cases = [Case("floor", "/health"), Case("search page", page, 0.20), Case("API search", api, 0.30)]
    cache_off_cases = [Case("search page, cache off", page, 0.20), Case("API search, cache off", api, 0.30)]
    ok = True
    try:
        prepare(run, providers=args.providers)
        default_cases += prepare_cases(run)

        load_before = load_average()
        for cases, extra_env, log_name in (
            (default_cases, STRIPE_ENV, "gunicorn.log"),
            (cache_off_cases, CACHE_OFF, "gunicorn-cache-off.log"),
        ):
            with gunicorn(run, workers=workers, extra_env=extra_env, log_name=log_name) as server:
                for case in cases:
                    if case.path == WEBHOOK_PATH:
                        sign_webhook(case)
                    ok = check_and_measure(run, case, args.duration) and ok
            print(f"gunicorn stopped (pid {server.process.pid})", flush=True)
        load_after = load_average()
    except (BenchError, ProcessError) as exc:
        print(f"\n*** make bench failed: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\n*** make bench interrupted", file=sys.stderr, flush=True)
        return 130

    write_report(
        default_cases + cache_off_cases,
        workers=workers,
        duration=args.duration,
        run=run,
        started=started,
        load_before=load_before,
        load_after=load_after,
    )
    print((BENCH / "report.md").read_text(), flush=True)
    print(f"Report written to {BENCH / 'report.md'}; raw output in {OUT}/", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
