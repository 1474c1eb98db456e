"""GigSta's production topology on this machine: nginx -> gunicorn -> PostgreSQL on loopback.

nginx with deploy/nginx/gigsta.conf (TLS off) on 127.0.0.1:8780 -> gunicorn (2 sync workers,
production settings) on 127.0.0.1:8781 -> the PostgreSQL database gigsta_stack on 127.0.0.1:5432,
created fresh. tests/stack/conftest.py starts it once for the whole session.
"""

import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from deploy.processes import (
    GUNICORN,
    HOST,
    PYTHON,
    ROOT,
    ProcessError,
    clean_env,
    database_create,
    port_in_use,
    postgres_ensure_running,
    postgres_url,
    psql,
    run,
)
from tests.stack.browser import APP_PORT, PROXY_PORT, PROXY_URL

NGINX_CONF = ROOT / "deploy" / "nginx" / "gigsta.conf"
DB_NAME = "gigsta_stack"
DATABASE_URL = postgres_url(DB_NAME)


def nginx_binary() -> str:
    """nginx, installed from Debian's package when it is missing and we may."""
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        assert os.geteuid() == 0 and shutil.which("apt-get"), "nginx is not installed: sudo apt-get install -y nginx"
        env = clean_env(DEBIAN_FRONTEND="noninteractive")
        try:
            run(["apt-get", "install", "-y", "-qq", "nginx"], env=env, timeout=300)
        except ProcessError:  # a stale package index
            run(["apt-get", "update", "-qq"], env=env, timeout=300)
            run(["apt-get", "install", "-y", "-qq", "nginx"], env=env, timeout=300)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def tools_check() -> str:
    nginx = nginx_binary()
    missing = [t for t in ("psql", "pg_isready", "pg_dump", "pg_restore") if not shutil.which(t)]
    assert not missing, f"missing {', '.join(missing)} (Debian: apt-get install -y postgresql-client)"
    assert GUNICORN.exists(), f"{GUNICORN} is missing: run `make run` or `make test` once to build the venv"
    busy = [p for p in (PROXY_PORT, APP_PORT) if port_in_use(p)]
    assert not busy, f"something already listens on {HOST}:{busy}: stop it and run make stack again"
    return nginx


def table_counts() -> dict[str, int]:
    """Rows in every table of the stack's database; {} when it has none."""
    tables = psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", database=DB_NAME).split()
    if not tables:
        return {}
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM public.\"{t}\"" for t in tables)
    rows = psql(sql, database=DB_NAME).splitlines()
    return {name: int(count) for name, count in (row.split("|") for row in rows)}


@dataclass
class Stack:
    tmp: Path  # readable by nginx's unprivileged workers: static and media are served from here
    nginx: str = ""
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))

    @property
    def media(self) -> Path:
        return self.tmp / "media"

    @property
    def static_root(self) -> Path:
        return self.tmp / "static"

    @property
    def nginx_dir(self) -> Path:
        return self.tmp / "nginx"

    @property
    def access_log(self) -> Path:
        return self.nginx_dir / "access.log"

    @property
    def app_log(self) -> Path:
        return self.tmp / "gunicorn.log"

    @property
    def env(self) -> dict[str, str]:
        """Production settings, with TLS off on loopback: cookies travel over plain HTTP, and no HSTS."""
        return clean_env(
            DJANGO_SETTINGS_MODULE="gigsta.settings",
            DEBUG="0",
            SECRET_KEY=self.secret_key,
            SITE_URL=PROXY_URL,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CSRF_TRUSTED_ORIGINS=PROXY_URL,
            BEHIND_TLS_PROXY="0",
            TRUSTED_PROXY_COUNT="1",
            SECURE_COOKIES="0",
            SECURE_SSL_REDIRECT="0",
            SECURE_HSTS_SECONDS="0",
            DATABASE_URL=DATABASE_URL,
            MEDIA_ROOT=str(self.media),
            STATIC_ROOT=str(self.static_root),
        )

    def prepare(self) -> None:
        """Tools, PostgreSQL, a fresh database, then the one-shot steps of a deploy."""
        self.nginx = tools_check()
        postgres_ensure_running()
        database_create(DB_NAME, fresh=True)
        self.media.mkdir(parents=True)
        log = self.tmp / "one-shot.log"
        manage = [PYTHON, "manage.py"]
        run([*manage, "migrate", "--no-input"], env=self.env, log=log)
        run([*manage, "collectstatic", "--no-input", "-v", "0"], env=self.env, log=log)
        run([*manage, "seed_demo"], env=self.env, log=log)
        manifest = self.static_root / "staticfiles.json"
        assert manifest.exists(), f"collectstatic wrote no manifest at {manifest}"

    def gunicorn_command(self) -> list:
        return [
            GUNICORN, "gigsta.wsgi:application", "--workers", "2", "--worker-class", "sync",
            "--bind", f"{HOST}:{APP_PORT}", "--timeout", "30", "--graceful-timeout", "10",
        ]  # fmt: skip

    def nginx_command(self, *, port: int = PROXY_PORT, upstreams: tuple[int, ...] = (APP_PORT,)) -> list:
        """nginx in the foreground on the rendered config, after `nginx -t` passed on it."""
        main = self.render_nginx(port=port, upstreams=upstreams)
        common = [self.nginx, "-p", f"{self.nginx_dir}/", "-e", self.nginx_dir / "error.log", "-c", main]
        run([*common, "-t", "-q"], env=clean_env())
        return [*common, "-g", "daemon off;"]

    def render_nginx(self, *, port: int = PROXY_PORT, upstreams: tuple[int, ...] = (APP_PORT,)) -> Path:
        """The compose file, with its compose-only values replaced by this machine's: nginx on
        `port`, in front of gunicorn on each of `upstreams`."""
        text = NGINX_CONF.read_text()
        replacements = {
            "listen 80;": f"listen {HOST}:{port};",
            "server web:8000;": "\n    ".join(f"server {HOST}:{upstream};" for upstream in upstreams),
            "/srv/gigsta/static/": f"{self.static_root}/",
            "/srv/gigsta/media/": f"{self.media}/",
            "/var/log/nginx/access.log": str(self.access_log),
        }
        for compose_value, native_value in replacements.items():
            # The file's comments name these values too: only lines that are not comments change.
            pattern = re.compile(r"^(?!\s*#)(.*)" + re.escape(compose_value), re.MULTILINE)
            text, count = pattern.subn(lambda m, v=native_value: m.group(1) + v, text)
            assert count >= 1, f"{NGINX_CONF.name} no longer contains `{compose_value}`: update {__name__}"
        leftovers = [v for v in replacements if re.search(r"^(?!\s*#).*" + re.escape(v), text, re.MULTILINE)]
        assert not leftovers, f"compose-only values left in the rendered config: {leftovers}"
        self.nginx_dir.mkdir()
        site = self.nginx_dir / "gigsta.conf"
        site.write_text(text)
        temp = self.nginx_dir / "temp"
        temp.mkdir()
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
        return main
