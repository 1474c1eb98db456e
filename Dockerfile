# syntax=docker/dockerfile:1
# GigSta web image: gunicorn (sync workers) serving Django, static files collected at build.
#   docker build -t gigsta:$(git rev-parse --short HEAD) .
# The same image runs the web, migrate and scheduler services of compose.yml.

ARG PYTHON_IMAGE=python:3.11-slim

# --- Build stage: compilers, wheels, virtualenv, collected static files ----------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

# Compilers for any dependency that has no wheel for this platform; they stay in this stage.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links /wheels -r requirements.txt

COPY . /app
WORKDIR /app
# Hashed, compressed static files (whitenoise manifest storage). The key exists only for this
# command: settings refuse to start without one when DEBUG is off. No database is touched.
RUN DEBUG=0 SECRET_KEY=build-only-collectstatic-key DATABASE_URL='' REDIS_URL='' \
    /opt/venv/bin/python manage.py collectstatic --noinput \
    && /opt/venv/bin/python -m compileall -q /app

# --- Runtime stage: no compilers, no build tools, a non-root user ----------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=gigsta.settings

RUN groupadd --system --gid 10001 gigsta \
    && useradd --system --uid 10001 --gid gigsta --create-home --home-dir /home/gigsta \
       --shell /usr/sbin/nologin gigsta

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app

# Gunicorn settings, read again on `kill -HUP` (graceful reload).
COPY <<"EOF" /etc/gigsta/gunicorn.conf.py
import os

# An empty variable (`NAME=` in .env) counts as unset.
bind = "0.0.0.0:8000"
# Sync workers, 2 x cores unless WEB_CONCURRENCY says otherwise (set it when the
# container's CPU quota is below the host's core count).
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * len(os.sched_getaffinity(0)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
# On TERM or HUP, a worker finishes the request in hand for up to this many seconds.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 30)
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 2000)
max_requests_jitter = max_requests // 10
# Heartbeat files in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm"
# Only the reverse proxy reaches this port (no published port in production).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "*"
accesslog = "-"
errorlog = "-"
loglevel = (os.environ.get("LOG_LEVEL") or "info").lower()
# Client address as the proxy saw it, request id (set by GigSta's middleware), time in ms.
access_log_format = (
    '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms '
    'request_id=%({x-request-id}o)s "%(f)s" "%(a)s"'
)

# /metrics adds up every worker's counters when PROMETHEUS_MULTIPROC_DIR is set (compose sets it).
METRICS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server):
    if METRICS_DIR:
        os.makedirs(METRICS_DIR, exist_ok=True)
        for name in os.listdir(METRICS_DIR):  # counters of a previous run
            os.remove(os.path.join(METRICS_DIR, name))


def child_exit(server, worker):
    if METRICS_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
EOF

# Uploads (when no S3 bucket is configured) and the static volume the proxy serves.
RUN mkdir -p /app/media /app/private-media /srv/static \
    && chown gigsta:gigsta /app/media /app/private-media /srv/static

WORKDIR /app
USER 10001:10001
EXPOSE 8000

# /health never touches the database. No curl in slim images: Python's urllib instead.
# X-Forwarded-Proto keeps SECURE_SSL_REDIRECT (behind the TLS proxy) from redirecting the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; r = u.urlopen(u.Request('http://127.0.0.1:8000/health', headers={'X-Forwarded-Proto': 'https'}), timeout=4); sys.exit(r.status != 200)"]

# `exec`: gunicorn becomes PID 1 and receives TERM (graceful stop) and HUP (graceful reload).
# An empty WEB_CONCURRENCY (a `WEB_CONCURRENCY=` line in .env) would stop gunicorn at import,
# so it is dropped first. A command rather than an entrypoint, so that
# `docker compose run --rm web python manage.py …` and the migrate and scheduler services run
# other commands with the same image.
CMD ["/bin/sh", "-c", "[ -n \"${WEB_CONCURRENCY:-}\" ] || unset WEB_CONCURRENCY; exec gunicorn --config /etc/gigsta/gunicorn.conf.py gigsta.wsgi:application"]
