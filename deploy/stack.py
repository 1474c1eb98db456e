# Starts and checks fixed local tools (nginx, gunicorn, psql, deploy/backup) on loopback only.
# ruff: noqa: S603, S607, S608, S310
"""`make stack`: GigSta's production topology on this machine, checked through the proxy.

nginx with deploy/nginx/gigsta.conf (TLS off) on 127.0.0.1:8780 -> gunicorn (2 sync workers,
production settings) on 127.0.0.1:8781 -> PostgreSQL database gigsta_stack on 127.0.0.1:5432,
created fresh. First the one-shot steps (migrate, collectstatic, seed_demo), then checks
through nginx, then a backup test: deploy/backup, drop and recreate the database,
deploy/restore, compare the row count of every table. nginx and gunicorn are stopped whatever
happens (PostgreSQL keeps running). Prints PASS/FAIL/SKIP per check and exits 1 on any
failure; logs stay in a temporary directory when something failed.
"""

import gzip
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
NGINX_CONF = ROOT / "deploy" / "nginx" / "gigsta.conf"
BACKUP = ROOT / "deploy" / "backup"
RESTORE = ROOT / "deploy" / "restore"

HOST = "127.0.0.1"
PROXY_PORT, APP_PORT = 8780, 8781
PROXY_URL, APP_URL = f"http://{HOST}:{PROXY_PORT}", f"http://{HOST}:{APP_PORT}"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", "5432", "postgres"
DB_NAME = "gigsta_stack"
DATABASE_URL = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}"
DEADLINE_SECONDS = 170  # the whole run, start to stop
HTTP_TIMEOUT = 15


class StepFailed(Exception):
    """A check found something wrong."""


class Skipped(Exception):
    """A check could not apply here; says why."""


class Noted(Exception):
    """The check passed, with something worth a look that is not this stack's to fix."""


class Abort(Exception):
    """A step the rest depends on failed: stop checking, clean up, report."""


class DeadlineReached(Exception):
    pass


# --- Reporting ---------------------------------------------------------------------


@dataclass
class Result:
    name: str
    status: str  # PASS, FAIL, SKIP, WARN
    detail: str
    seconds: float


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    def step(self, name: str, fn: Callable[[], str | None], *, required: bool = False) -> bool:
        print(f"\n== {name}", flush=True)
        started = time.monotonic()
        try:
            detail, status = fn() or "", "PASS"
        except StepFailed as exc:
            detail, status = str(exc), "FAIL"
        except Skipped as exc:
            detail, status = str(exc), "SKIP"
        except Noted as exc:
            detail, status = str(exc), "WARN"
        except (DeadlineReached, KeyboardInterrupt):
            raise
        except Exception as exc:  # an unexpected error in a check is a failure of that check
            detail, status = f"{type(exc).__name__}: {exc}", "FAIL"
        result = Result(name, status, detail, time.monotonic() - started)
        self.results.append(result)
        print(f"   {status}  {detail}", flush=True)
        if status == "FAIL" and required:
            raise Abort(name)
        return status != "FAIL"

    @property
    def failed(self) -> bool:
        return any(r.status == "FAIL" for r in self.results)

    def summary(self, seconds: float) -> str:
        width = max((len(r.name) for r in self.results), default=10)
        lines = ["", "=" * 72, "make stack: nginx -> gunicorn -> PostgreSQL on loopback", "=" * 72]
        for r in self.results:
            lines.append(f"{r.status:4}  {r.name:<{width}}  {r.detail}")
        counts = {s: sum(r.status == s for r in self.results) for s in ("PASS", "FAIL", "SKIP", "WARN")}
        verdict = "FAIL" if self.failed or not self.results else "PASS"
        lines += [
            "-" * 72,
            f"{verdict}: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped, "
            f"{counts['WARN']} passed with a warning, in {seconds:.1f} s",
        ]
        return "\n".join(lines)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


# --- Commands ------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    """Only what the stack states, so settings in the caller's shell (REDIS_URL, ...) cannot leak in."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TERM", "USER", "TZ")
    return {key: os.environ[key] for key in keep if key in os.environ}


def app_env(media_root: Path) -> dict[str, str]:
    return {
        **base_env(),
        "DJANGO_SETTINGS_MODULE": "gigsta.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SITE_URL": PROXY_URL,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": PROXY_URL,
        "BEHIND_TLS_PROXY": "0",
        "TRUSTED_PROXY_COUNT": "1",
        # TLS is off on loopback: cookies must travel over plain HTTP, and no HSTS.
        "SECURE_COOKIES": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": DATABASE_URL,
        "MEDIA_ROOT": str(media_root),
    }


def run(args: list, *, env: dict[str, str], log: Path | None = None, timeout: float = 120, quiet=False) -> str:
    """Run a command; on failure raise StepFailed with the end of its output."""
    shown = " ".join(str(a).removeprefix(f"{ROOT}/") for a in args)
    if not quiet:
        print(f"   $ {shown}", flush=True)
    result = subprocess.run(
        [str(a) for a in args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = result.stdout + result.stderr
    if log is not None:
        with log.open("a") as handle:
            handle.write(f"$ {shown}\n{output}\n")
    if result.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise StepFailed(f"`{shown}` exited with {result.returncode}:\n{tail}")
    return result.stdout


def psql(sql: str, database: str = DB_NAME) -> str:
    args = ["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", database, "-XAtq", "-v", "ON_ERROR_STOP=1"]
    return run([*args, "-c", sql], env=base_env(), quiet=True).strip()


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


# --- HTTP ------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        expect(
            (self.headers.get("Content-Type") or "").startswith("application/json"),
            f"expected JSON, got Content-Type {self.headers.get('Content-Type')!r}",
        )
        return json.loads(self.body)

    def one(self, name: str) -> str | None:
        """The header's value; fails when the response repeats it."""
        values = self.headers.get_all(name) or []
        expect(len(values) <= 1, f"{name} is sent {len(values)} times: {values}")
        return values[0] if values else None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is a response to look at, not to follow


class Client:
    """A browser-like client: keeps cookies, never follows redirects by itself."""

    def __init__(self, base: str = PROXY_URL):
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect())

    def request(self, method: str, path: str, *, data: bytes | None = None, headers: dict | None = None) -> Response:
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.headers, exc.read())

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict[str, str], **kwargs) -> Response:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": PROXY_URL,
            "Referer": self.base + path,
        }
        return self.request("POST", path, data=urlencode(fields).encode(), headers=headers, **kwargs)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)


def wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-15:]) if log.exists() else ""
            raise StepFailed(f"exited with code {process.returncode} before answering:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise StepFailed(f"{url} did not answer 200 within {timeout:.0f} s (log: {log})")


def post_oversized(path: str, size: int) -> Response:
    """POST a body of `size` bytes with plain http.client; nginx may answer before it is all sent."""
    conn = http.client.HTTPConnection(HOST, PROXY_PORT, timeout=HTTP_TIMEOUT)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        chunk, sent = b"\0" * 65536, 0
        try:
            while sent < size:
                conn.send(chunk[: size - sent])
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # nginx refused the body early; its answer is still there to read
        response = conn.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        conn.close()


# --- Processes -----------------------------------------------------------------------


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path
    stop_signal: int = signal.SIGTERM

    def stop(self) -> str:
        if self.process.poll() is not None:
            return f"{self.name} had already exited (code {self.process.returncode})"
        os.killpg(self.process.pid, self.stop_signal)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return f"{self.name} (pid {self.process.pid}) killed after 15 s"
        return f"{self.name} stopped (pid {self.process.pid})"


def start(name: str, args: list, *, env: dict[str, str], log: Path) -> Service:
    shown = " ".join(str(a).removeprefix(f"{ROOT}/") for a in args)
    print(f"   $ {shown}", flush=True)
    with log.open("w") as handle:
        process = subprocess.Popen(
            [str(a) for a in args], env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Service(name, process, log)


# --- The stack -------------------------------------------------------------------------


@dataclass
class Stack:
    tmp: Path
    report: Report
    services: list[Service] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    static_root: Path | None = None
    facts: dict = field(default_factory=dict)  # what one check learns and a later one uses

    @property
    def media(self) -> Path:
        return self.tmp / "media"

    @property
    def nginx_dir(self) -> Path:
        return self.tmp / "nginx"

    @property
    def access_log(self) -> Path:
        return self.nginx_dir / "access.log"

    @property
    def app_log(self) -> Path:
        return self.tmp / "gunicorn.log"

    # --- preparation

    def tools(self) -> str:
        if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
            if os.geteuid() != 0 or not shutil.which("apt-get"):
                raise StepFailed("nginx is not installed: sudo apt-get install -y nginx")
            print("   nginx is missing: installing the Debian package", flush=True)
            env = {**base_env(), "DEBIAN_FRONTEND": "noninteractive"}
            try:
                run(["apt-get", "install", "-y", "-qq", "nginx"], env=env, timeout=300)
            except StepFailed:
                run(["apt-get", "update", "-qq"], env=env, timeout=300)
                run(["apt-get", "install", "-y", "-qq", "nginx"], env=env, timeout=300)
        missing = [t for t in ("psql", "pg_isready", "pg_dump", "pg_restore") if not shutil.which(t)]
        expect(not missing, f"missing {', '.join(missing)} (Debian: apt-get install -y postgresql-client)")
        expect(GUNICORN.exists(), f"{GUNICORN} is missing: run `make run` or `make test` once to build the venv")
        busy = [p for p in (PROXY_PORT, APP_PORT) if port_in_use(p)]
        expect(not busy, f"something already listens on {HOST}:{busy}: stop it and run make stack again")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        version = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False).stderr.strip()
        self.facts["nginx"] = nginx
        return f"{version}; ports {PROXY_PORT} and {APP_PORT} free"

    def postgres(self) -> str:
        def ready() -> bool:
            args = ["pg_isready", "-q", "-h", PG_HOST, "-p", PG_PORT]
            return subprocess.run(args, check=False).returncode == 0

        started = ""
        if not ready() and shutil.which("pg_lsclusters"):
            clusters = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False)
            for line in clusters.stdout.splitlines():
                version, name, port = line.split()[:3]
                if port == PG_PORT:
                    run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"], env=base_env())
                    started = f" (started cluster {version}/{name})"
        for _ in range(60):
            if ready():
                break
            time.sleep(0.5)
        else:
            raise StepFailed(f"PostgreSQL does not accept connections on {PG_HOST}:{PG_PORT}")
        version = psql("SHOW server_version", database="postgres")
        return f"PostgreSQL {version} on {PG_HOST}:{PG_PORT}{started}"

    def fresh_database(self) -> str:
        psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)', database="postgres")
        psql(f'CREATE DATABASE "{DB_NAME}"', database="postgres")
        return f"{DATABASE_URL} (dropped and created)"

    def one_shot(self) -> str:
        self.media.mkdir(parents=True)
        self.env = app_env(self.media)
        log = self.tmp / "one-shot.log"
        manage = [PYTHON, "manage.py"]
        run([*manage, "migrate", "--no-input"], env=self.env, log=log)
        run([*manage, "collectstatic", "--no-input", "-v", "0"], env=self.env, log=log)
        run([*manage, "seed_demo"], env=self.env, log=log, timeout=120)
        probe = "from django.conf import settings; print(settings.STATIC_ROOT)"
        self.static_root = Path(run([*manage, "shell", "-c", probe], env=self.env).strip().splitlines()[-1])
        manifest = self.static_root / "staticfiles.json"
        expect(manifest.exists(), f"collectstatic wrote no manifest at {manifest}")
        users = psql("SELECT count(*) FROM accounts_user")
        return f"migrated, static collected into {self.static_root}, demo data seeded ({users} users)"

    def gunicorn(self) -> str:
        args = [
            GUNICORN, "gigsta.wsgi:application", "--workers", "2", "--worker-class", "sync",
            "--bind", f"{HOST}:{APP_PORT}", "--timeout", "30", "--graceful-timeout", "10",
        ]  # fmt: skip
        service = start("gunicorn", args, env=self.env, log=self.app_log)
        self.services.append(service)
        wait_http(f"{APP_URL}/health", service.process, self.app_log)
        return f"2 sync workers on {HOST}:{APP_PORT} (pid {service.process.pid})"

    def render_nginx(self) -> Path:
        """The compose file, with its compose-only values replaced by this machine's."""
        text = NGINX_CONF.read_text()
        assert self.static_root is not None
        replacements = {
            "listen 80;": f"listen {HOST}:{PROXY_PORT};",
            "server web:8000;": f"server {HOST}:{APP_PORT};",
            "/srv/gigsta/static/": f"{self.static_root}/",
            "/srv/gigsta/media/": f"{self.media}/",
            "/var/log/nginx/access.log": str(self.access_log),
        }
        for compose_value, native_value in replacements.items():
            # The file's comments name these values too: only lines that are not comments change.
            pattern = re.compile(r"^(?!\s*#)(.*)" + re.escape(compose_value), re.MULTILINE)
            text, count = pattern.subn(lambda m, v=native_value: m.group(1) + v, text)
            expect(count >= 1, f"{NGINX_CONF.name} no longer contains `{compose_value}`: update deploy/stack.py")
        leftovers = [v for v in replacements if re.search(r"^(?!\s*#).*" + re.escape(v), text, re.MULTILINE)]
        expect(not leftovers, f"compose-only values left in the rendered config: {leftovers}")
        self.nginx_dir.mkdir()
        site = self.nginx_dir / "gigsta.conf"
        site.write_text(text)
        temp = self.nginx_dir / "temp"
        main = self.nginx_dir / "nginx.conf"
        main.write_text(
            f"""worker_processes 2;
pid {self.nginx_dir}/nginx.pid;
error_log {self.nginx_dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
"""
        )
        temp.mkdir()
        return main

    def nginx(self) -> str:
        main = self.render_nginx()
        nginx = self.facts["nginx"]
        common = [nginx, "-p", f"{self.nginx_dir}/", "-e", self.nginx_dir / "error.log", "-c", main]
        run([*common, "-t", "-q"], env=base_env())
        service = start("nginx", [*common, "-g", "daemon off;"], env=base_env(), log=self.nginx_dir / "stderr.log")
        self.services.append(service)
        wait_http(f"{PROXY_URL}/health", service.process, self.nginx_dir / "error.log")
        return f"{HOST}:{PROXY_PORT} -> {HOST}:{APP_PORT}, config test passed (pid {service.process.pid})"

    def compose_config(self) -> str:
        """nginx -t on the file exactly as compose mounts it, with `web` resolving in a private /etc/hosts."""
        unshare = shutil.which("unshare")
        if os.geteuid() != 0 or not unshare:
            raise Skipped("needs root and unshare(1) to give `web` an address; the rendered copy was tested")
        here = self.tmp / "compose-check"
        here.mkdir()
        (here / "hosts").write_text("127.0.0.1 localhost\n192.0.2.10 web\n")
        # The http{} of the official nginx image, which includes conf.d/*.conf.
        (here / "nginx.conf").write_text(
            f"""pid {here}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" $status';
    access_log {here}/access.log main;
    sendfile on;
    keepalive_timeout 65;
    include {NGINX_CONF};
}}
"""
        )
        nginx = self.facts["nginx"]
        mount = shlex.join(["mount", "--bind", f"{here}/hosts", "/etc/hosts"])
        check = shlex.join([nginx, "-t", "-q", "-p", f"{here}/", "-e", f"{here}/error.log", "-c", f"{here}/nginx.conf"])
        test = f"{mount} && exec {check}"
        result = subprocess.run([unshare, "--mount", "sh", "-c", test], capture_output=True, text=True, check=False)
        if result.returncode != 0 and "mount" in result.stderr and "nginx" not in result.stderr:
            raise Skipped(f"cannot make a private /etc/hosts here: {result.stderr.strip()[:200]}")
        expect(result.returncode == 0, f"nginx -t on {NGINX_CONF.name} as compose mounts it: {result.stderr.strip()}")
        return f"{NGINX_CONF.relative_to(ROOT)} unchanged (upstream web:8000) passes nginx -t"

    # --- checks through the proxy

    def home(self) -> str:
        r = Client().get("/")
        expect(r.status == 200, f"GET / answered {r.status}")
        expect(r.one("X-Frame-Options") == "DENY", f"X-Frame-Options: {r.one('X-Frame-Options')!r}")
        expect(r.one("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options is not nosniff")
        referrer = r.one("Referrer-Policy")
        expect(bool(referrer), "no Referrer-Policy")
        expect(r.one("Strict-Transport-Security") is None, "HSTS sent over plain HTTP")
        expect(r.one("X-Request-ID") is not None, "no X-Request-ID")
        server = r.one("Server") or ""
        expect(not re.search(r"\d", server), f"Server header reveals a version: {server!r}")
        match = re.search(r"/static/css/gigsta\.[0-9a-f]{12}\.css", r.text)
        expect(match is not None, "the page does not link a hashed /static/css/gigsta.<hash>.css")
        self.facts["css"] = match.group(0)
        csp = "CSP from Django" if r.one("Content-Security-Policy") else "no CSP header (Django sets none yet)"
        return f"200, X-Frame-Options DENY, nosniff, Referrer-Policy {referrer}, no HSTS on http, {csp}"

    def static(self) -> str:
        path = self.facts.get("css")
        expect(bool(path), "no stylesheet found on the home page")
        request_id = f"stack-static-{secrets.token_hex(6)}"
        r = Client().get(path, headers={"Accept-Encoding": "gzip", "X-Request-ID": request_id})
        expect(r.status == 200, f"GET {path} answered {r.status}")
        expect((r.one("Content-Type") or "").startswith("text/css"), f"Content-Type {r.one('Content-Type')!r}")
        cache = r.one("Cache-Control") or ""
        expect("max-age=31536000" in cache and "immutable" in cache and "public" in cache, f"Cache-Control {cache!r}")
        expect(r.one("Content-Encoding") == "gzip", f"not gzipped: Content-Encoding {r.one('Content-Encoding')!r}")
        css = gzip.decompress(r.body)
        expect(b"{" in css, "the stylesheet is empty")
        expect(r.one("X-Content-Type-Options") == "nosniff", "static file without nosniff")
        expect(r.one("X-Frame-Options") == "DENY", "static file without X-Frame-Options")
        unhashed = Client().get("/static/css/gigsta.css")
        expect(unhashed.status == 200, f"GET /static/css/gigsta.css answered {unhashed.status}")
        expect(unhashed.one("Cache-Control") == "no-cache", f"unhashed Cache-Control {unhashed.one('Cache-Control')!r}")
        self.facts["static_request_id"] = request_id
        return f"{path}: 200, Cache-Control {cache!r}, gzip ({len(r.body):,} of {len(css):,} bytes); unhashed: no-cache"

    def media_files(self) -> str:
        photo = self.media / "stack-check" / "photo.jpg"
        photo.parent.mkdir(parents=True, exist_ok=True)
        photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
        photo.parent.chmod(0o755)
        r = Client().get("/media/stack-check/photo.jpg")
        expect(r.status == 200, f"GET /media/... answered {r.status}")
        expect(r.body == photo.read_bytes(), "the media file came back different")
        csp = r.one("Content-Security-Policy") or ""
        expect("sandbox" in csp, f"media CSP {csp!r}")
        missing = Client().get("/media/stack-check/nothing.jpg")
        expect(missing.status == 404, f"a missing media file answered {missing.status}")
        return f"200 from MEDIA_ROOT, Content-Type {r.one('Content-Type')}, CSP {csp!r}; missing file 404"

    def search(self) -> str:
        r = Client().get("/search?q=band")
        expect(r.status == 200, f"GET /search?q=band answered {r.status}")
        expect("The Night Owls" in r.text, "the seeded band (The Night Owls) is not in the results")
        return f"200, {len(r.body):,} bytes, finds the seeded band"

    def api(self) -> str:
        r = Client().get("/api/categories")
        expect(r.status == 200, f"GET /api/categories answered {r.status}")
        categories = r.json()
        expect(isinstance(categories, list) and len(categories) > 0, "no categories")
        self.facts["categories"] = len(categories)
        missing = Client().get("/api/no-such-endpoint")
        expect(missing.status == 404 and missing.json().get("code") == "not_found", "API 404 is not JSON")
        return f"200 JSON, {len(categories)} categories; unknown endpoint: 404 JSON"

    def health(self) -> str:
        for path in ("/health", "/ready"):
            r = Client().get(path)
            expect(r.status == 200, f"GET {path} answered {r.status}: {r.text[:200]}")
            expect(r.json().get("status") == "ok", f"{path} said {r.text[:200]}")
        return '/health and /ready: 200 {"status": "ok"}'

    def sign_up(self, label: str) -> str:
        client = Client()
        page = client.get("/accounts/signup/")
        expect(page.status == 200, f"GET /accounts/signup/ answered {page.status}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        expect(token is not None and client.cookie("csrftoken") is not None, "no CSRF token or cookie")
        name = f"Stack {label} {secrets.token_hex(3)}"
        email = f"stack-{secrets.token_hex(4)}@example.com"
        password = secrets.token_urlsafe(18)
        fields = {
            "csrfmiddlewaretoken": token.group(1), "display_name": name, "email": email,
            "password1": password, "role": "client",
        }  # fmt: skip
        r = client.post_form("/accounts/signup/", fields)
        expect(r.status == 302, f"POST /accounts/signup/ answered {r.status}, not 302: {r.text[:300]}")
        location = r.one("Location") or ""
        expect(client.cookie("sessionid") is not None, "no session cookie after sign-up")
        landing = client.get(urlsplit(location).path or "/")
        expect(landing.status == 200, f"GET {location} after sign-up answered {landing.status}")
        expect(name in landing.text, f"the page after sign-up does not show {name!r}")
        self.facts.setdefault("accounts", []).append((email, password, name))
        return f"302 to {location}, then 200 showing {name!r}"

    def log_in(self) -> str:
        email, password, name = self.facts["accounts"][0]
        client = Client()
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        expect(page.status == 200 and token is not None, f"GET /accounts/login/ answered {page.status}")
        r = client.post_form(
            "/accounts/login/", {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
        )
        expect(r.status == 302, f"POST /accounts/login/ answered {r.status}: {r.text[:300]}")
        landing = client.get(urlsplit(r.one("Location") or "/").path or "/")
        expect(name in landing.text, f"the page after logging in does not show {name!r}")
        return f"{email} logs in with the password set before the backup"

    def oversized(self) -> str:
        size = 11 * 1024 * 1024
        page = post_oversized("/search", size)
        expect(page.status == 413, f"an 11 MB POST to /search answered {page.status}")
        expect(page.one("X-Request-ID") is not None, "the 413 has no X-Request-ID")
        api = post_oversized("/api/services", size)
        expect(api.status == 413, f"an 11 MB POST to /api/services answered {api.status}")
        expect(api.json().get("code") == "payload_too_large", f"API 413 body {api.text[:200]}")
        return "11 MB bodies: 413 from nginx (HTML for pages, JSON payload_too_large for the API)"

    def metrics(self) -> str:
        for path in ("/metrics", "/metrics/", "/metrics?format=openmetrics", "//metrics"):
            r = Client().get(path)
            expect(r.status in (403, 404), f"GET {path} through the proxy answered {r.status}")
            expect(b"# TYPE" not in r.body, f"GET {path} through the proxy leaked metrics")
        outside = f"{r.status} through the proxy"
        direct = Client(APP_URL).get("/metrics")
        if direct.status == 404:
            raise Skipped(f"{outside}; gunicorn itself answers 404 (no /metrics view yet)")
        expect(direct.status == 200 and b"# TYPE" in direct.body, f"gunicorn's /metrics answered {direct.status}")
        spoofed = Client(APP_URL).get("/metrics", headers={"X-Forwarded-For": "10.0.0.1"})
        expect(spoofed.status != 200, "gunicorn serves /metrics to a forwarded request")
        return f"{outside} (also /metrics/, ?query, //metrics); 200 Prometheus text straight from gunicorn"

    def request_ids(self) -> str:
        mine = f"stack-{secrets.token_hex(8)}"
        r = Client().get("/api/categories", headers={"X-Request-ID": mine})
        expect(r.one("X-Request-ID") == mine, f"sent X-Request-ID {mine}, got {r.one('X-Request-ID')!r}")
        generated = Client().get("/").one("X-Request-ID") or ""
        expect(re.fullmatch(r"[0-9a-f]{32}", generated) is not None, f"nginx's own id looks wrong: {generated!r}")
        bad = Client().get("/", headers={"X-Request-ID": "no spaces allowed here"}).one("X-Request-ID") or ""
        expect(re.fullmatch(r"[0-9a-f]{32}", bad) is not None, f"a malformed client id was kept: {bad!r}")
        # Two requests Django logs a warning for, to find their ids in its log later.
        csrf_id, missing_id = f"stack-csrf-{secrets.token_hex(6)}", f"stack-404-{secrets.token_hex(6)}"
        r = Client().request("POST", "/accounts/login/", data=b"login=x", headers={"X-Request-ID": csrf_id})
        expect(r.status == 403, f"a login post without a CSRF token answered {r.status}")
        r = Client().get("/no-such-page-stack-check", headers={"X-Request-ID": missing_id})
        expect(r.status == 404, f"GET /no-such-page-stack-check answered {r.status}")
        self.facts["request_ids"] = {"kept": mine, "generated": generated, "csrf": csrf_id, "not_found": missing_id}
        return f"client id kept and echoed once ({mine}); none or malformed -> nginx's own ({generated})"

    def backup_restore(self) -> str:
        backups = self.tmp / "backups"
        backups.mkdir()
        day = 86400
        old, young = backups / "gigsta-20000101T000000Z.dump", backups / "gigsta-20000102T000000Z.dump"
        other = backups / "notes.txt"
        for path, age in ((old, 40 * day), (young, 10 * day), (other, 40 * day)):
            path.write_text("stand-in\n")
            os.utime(path, (time.time() - age, time.time() - age))
        before = table_counts()
        expect(before.get("accounts_user", 0) >= 6, f"too little data to compare: {before}")

        env = {**base_env(), "DATABASE_URL": DATABASE_URL, "BACKUP_DIR": str(backups)}
        dump = Path(run([BACKUP], env=env).strip().splitlines()[-1])
        expect(dump.is_file() and dump.stat().st_size > 0, f"deploy/backup printed {dump}, which is not a file")
        expect(re.fullmatch(r"gigsta-\d{8}T\d{6}Z(-\d+)?\.dump", dump.name) is not None, f"name {dump.name}")
        expect(dump.stat().st_mode & 0o077 == 0, f"{dump.name} is readable by others: {oct(dump.stat().st_mode)}")
        expect(not old.exists(), "a 40-day-old backup survived BACKUP_RETENTION_DAYS=35 (the default)")
        expect(young.exists() and other.exists(), "retention deleted a young backup or a file it does not own")
        pg_env = {
            **base_env(), "PGHOST": PG_HOST, "PGPORT": PG_PORT, "PGUSER": PG_USER, "PGDATABASE": DB_NAME,
            "BACKUP_DIR": str(backups),
        }  # fmt: skip
        second = Path(run([BACKUP], env=pg_env).strip().splitlines()[-1])
        expect(second.is_file() and second != dump, "the PG* variables backup did not write a second file")

        psql(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)', database="postgres")
        psql(f'CREATE DATABASE "{DB_NAME}"', database="postgres")
        expect(table_counts() == {}, "the recreated database is not empty")
        wiped = Client().get("/ready")
        expect(wiped.status == 503, f"/ready answered {wiped.status} on the wiped database, not 503")

        run([RESTORE, dump], env={**base_env(), "DATABASE_URL": DATABASE_URL})
        after = table_counts()
        differ = {t: (before.get(t), after.get(t)) for t in set(before) | set(after) if before.get(t) != after.get(t)}
        expect(not differ, f"row counts differ after restore (before, after): {differ}")
        try:
            run([RESTORE, second], env=pg_env)
        except StepFailed as exc:
            expect("already has" in str(exc), f"restore over a full database failed oddly: {exc}")
        else:
            raise StepFailed("deploy/restore replaced a database that has tables without --clean")
        expect(table_counts() == before, "the refused restore changed the data")
        run([RESTORE, "--clean", second], env=pg_env)
        expect(table_counts() == before, "restore --clean over the live database changed the row counts")
        total = sum(before.values())
        return (
            f"{dump.name} ({dump.stat().st_size:,} bytes): {len(before)} tables, {total:,} rows equal after "
            "drop + create + restore; retention deleted only the 40-day-old dump; PG* variables work; "
            "restore refuses a non-empty database, --clean replaces it"
        )

    def after_restore(self) -> str:
        ready = Client().get("/ready")
        expect(ready.status == 200, f"/ready answered {ready.status} after the restore: {ready.text[:200]}")
        categories = Client().get("/api/categories").json()
        expect(len(categories) == self.facts.get("categories"), "a different number of categories after restore")
        return "/ready 200 and the same categories through the proxy, on the restored database"

    def rate_limit(self) -> str:
        statuses = []
        for _ in range(40):
            r = Client().request("POST", "/accounts/login/", data=b"login=x&password=y")
            statuses.append(r.status)
            if r.status == 429:
                break
        expect(statuses[-1] == 429, f"no 429 after {len(statuses)} login posts: {sorted(set(statuses))}")
        expect(r.one("X-Request-ID") is not None, "the 429 has no X-Request-ID")
        expect(r.one("Retry-After") == "60", f"the 429 has Retry-After {r.one('Retry-After')!r}")
        page = Client().get("/accounts/login/")
        expect(page.status == 200, f"reading the login page is limited too ({page.status})")
        token = Client().request(
            "POST", "/api/auth/token", data=b'{"email": "a@example.com", "password": "x"}',
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        expect(token.status == 429, f"POST /api/auth/token answered {token.status} after the burst")
        expect(token.json().get("code") == "rate_limited", f"API 429 body {token.text[:200]}")
        calls = 0
        while calls < 120:  # the API zone: 20/s with a burst of 40
            calls += 1
            api = Client().get("/api/categories")
            if api.status != 200:
                break
        expect(api.status == 429, f"no 429 after {calls} API calls: last answer {api.status}")
        expect(api.json().get("code") == "rate_limited", f"API 429 body {api.text[:200]}")
        expect(api.one("Retry-After") == "1", f"the API 429 has Retry-After {api.one('Retry-After')!r}")
        earlier = sorted(set(statuses[:-1]))
        return (
            f"login posts: {earlier} then 429 at post {len(statuses)}; login page still 200; "
            f"POST /api/auth/token: 429 JSON rate_limited; GET /api/categories: 429 at call {calls}"
        )

    def access_log_lines(self) -> str:
        entries = []
        for number, line in enumerate(self.access_log.read_text().splitlines(), 1):
            try:
                entries.append(json.loads(line))
            except ValueError:
                raise StepFailed(f"access log line {number} is not JSON: {line[:200]}") from None
        expect(len(entries) > 10, f"only {len(entries)} access log lines")
        by_id = {e["request_id"]: e for e in entries}
        ids = self.facts.get("request_ids", {})
        for key in ("kept", "generated"):
            expect(ids.get(key) in by_id, f"the {key} request id {ids.get(key)} is not in the access log")
        static = by_id.get(self.facts.get("static_request_id"))
        expect(static is not None and static["upstream_addr"] == "", "the stylesheet was not served by nginx itself")
        health = [e for e in entries if e["uri"].startswith("/health")]
        expect(not health, f"/health is in the access log {len(health)} times")
        expect(any(e["uri"] == "/ready" for e in entries), "/ready is missing from the access log")
        return f"{len(entries)} JSON lines, each with its request id; no /health lines; the stylesheet came from disk"

    def app_log_lines(self) -> str:
        records = []
        for line in self.app_log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        if not records:
            raise Skipped("Django's log is not JSON (LOG_FORMAT): no request ids to look for")
        ids = self.facts.get("request_ids", {})
        logged = {r.get("request_id") for r in records}
        expect(ids.get("csrf") in logged, f"no Django log line carries the proxy's request id {ids.get('csrf')}")
        detail = f"{len(records)} JSON lines; the CSRF warning carries the proxy's request id ({ids['csrf']})"
        if ids.get("not_found") not in logged:
            missing = [r for r in records if r.get("logger") == "django.request" and r.get("request_id") in ("-", "")]
            shown = repr(missing[0].get("request_id")) if missing else "missing"
            raise Noted(
                f"{detail}; but {len(missing)} django.request lines (404/503 warnings) have request_id "
                f"{shown}: Django writes them after the request id middleware has returned"
            )
        return f"{detail}, and so does the 404 warning"


def table_counts() -> dict[str, int]:
    tables = psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").split()
    if not tables:
        return {}
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM public.\"{t}\"" for t in tables)
    return {name: int(count) for name, count in (line.split("|") for line in psql(sql).splitlines())}


def on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def on_alarm(signum, frame):
    raise DeadlineReached(f"the run took longer than {DEADLINE_SECONDS} s")


def main() -> int:
    started = time.monotonic()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(DEADLINE_SECONDS)
    tmp = Path(tempfile.mkdtemp(prefix="gigsta-stack-"))
    tmp.chmod(0o755)  # nginx workers run as an unprivileged user and read media from here
    report = Report()
    stack = Stack(tmp=tmp, report=report)
    step = report.step
    try:
        step("tools", stack.tools, required=True)
        step("PostgreSQL", stack.postgres, required=True)
        step("fresh database", stack.fresh_database, required=True)
        step("migrate, collectstatic, seed_demo", stack.one_shot, required=True)
        step("gunicorn", stack.gunicorn, required=True)
        step("nginx", stack.nginx, required=True)
        step("compose form of the nginx config", stack.compose_config)
        step("home page and security headers", stack.home)
        step("static file from nginx", stack.static)
        step("media file from nginx", stack.media_files)
        step("search page", stack.search)
        step("API", stack.api)
        step("health and readiness", stack.health)
        step("sign-up", lambda: stack.sign_up("Signup"))
        step("11 MB body refused", stack.oversized)
        step("/metrics not reachable from outside", stack.metrics)
        step("X-Request-ID", stack.request_ids)
        if step("backup, wipe, restore", stack.backup_restore):
            step("site on the restored database", stack.after_restore)
            step("log in after restore", stack.log_in)
            step("sign-up after restore", lambda: stack.sign_up("Restored"))
        step("rate limit", stack.rate_limit)
        step("access log", stack.access_log_lines)
        step("Django log", stack.app_log_lines)
    except Abort as exc:
        print(f"\n*** {exc} failed: the remaining checks need it, stopping here", flush=True)
    except DeadlineReached as exc:
        report.results.append(Result("deadline", "FAIL", str(exc), 0))
    except KeyboardInterrupt as exc:
        report.results.append(Result("interrupted", "FAIL", str(exc) or "Ctrl+C", 0))
    finally:
        signal.alarm(0)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # let the clean-up finish
        print("\n== stopping", flush=True)
        for service in reversed(stack.services):
            print(f"   {service.stop()}", flush=True)
        ports = {"nginx": PROXY_PORT, "gunicorn": APP_PORT}
        busy = [ports[s.name] for s in stack.services if port_in_use(ports[s.name])]
        if busy:
            report.results.append(Result("cleanup", "FAIL", f"ports still answering after stopping: {busy}", 0))
    print(report.summary(time.monotonic() - started), flush=True)
    if report.failed:
        logs = [p.relative_to(tmp) for p in sorted(tmp.rglob("*.log"))]
        print(f"Logs kept in {tmp}/: {', '.join(map(str, logs)) or 'none written'}")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
