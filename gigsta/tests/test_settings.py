"""Settings come from the environment, with safe zero-config defaults.

Each case imports gigsta.settings in a fresh interpreter with a controlled environment,
the same way `manage.py` and gunicorn do.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json
from gigsta import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "ENGINE": s.DATABASES["default"]["ENGINE"],
    "DB_OPTIONS": {k: v for k, v in s.DATABASES["default"].get("OPTIONS", {}).items()},
    "CONN_MAX_AGE": s.DATABASES["default"].get("CONN_MAX_AGE"),
    "CONN_HEALTH_CHECKS": s.DATABASES["default"].get("CONN_HEALTH_CHECKS"),
    "CACHE": s.CACHES["default"]["BACKEND"],
    "SESSION_ENGINE": s.SESSION_ENGINE,
    "EMAIL_BACKEND": s.EMAIL_BACKEND,
    "EMAIL_DELIVERY_BACKEND": s.EMAIL_DELIVERY_BACKEND,
    "TASKS": s.TASKS["default"]["BACKEND"],
    "MEDIA_STORAGE": s.STORAGES["default"]["BACKEND"],
    "MEDIA_ROOT": str(s.MEDIA_ROOT),
    "ATTACHMENTS": s.STORAGES["attachments"],
    "HASHER": s.PASSWORD_HASHERS[0],
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "STRIPE": bool(s.STRIPE_SECRET_KEY),
}))
"""


def load_settings(**environ: str) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**keep, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_with(**environ: str) -> dict:
    result = load_settings(**environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_defaults_need_only_a_secret_key():
    s = settings_with(SECRET_KEY="x")
    assert s["DEBUG"] is False
    assert s["ENGINE"] == "django.db.backends.sqlite3"
    assert s["CACHE"] == "django.core.cache.backends.db.DatabaseCache"  # shared by every worker
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert s["EMAIL_BACKEND"] == "gigsta.mail.TaskEmailBackend"  # every email is a task …
    assert s["EMAIL_DELIVERY_BACKEND"] == "django.core.mail.backends.console.EmailBackend"  # … printed by the worker
    assert s["TASKS"] == "django_tasks_db.DatabaseBackend"
    assert s["MEDIA_STORAGE"] == "django.core.files.storage.FileSystemStorage"
    assert s["HASHER"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert s["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert s["STRIPE"] is False


def test_sqlite_queues_writers_instead_of_failing():
    options = settings_with(SECRET_KEY="x")["DB_OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


def test_missing_secret_key_without_debug_stops_startup_with_a_clear_message():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_runs_without_a_secret_key():
    assert settings_with(DEBUG="1")["DEBUG"] is True


def test_malformed_boolean_names_the_setting():
    result = load_settings(SECRET_KEY="x", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_database_url_switches_to_postgresql_with_persistent_connections():
    s = settings_with(SECRET_KEY="x", DATABASE_URL="postgres://gigsta:pw@db:5432/gigsta")
    assert s["ENGINE"] == "django.db.backends.postgresql"
    assert s["CONN_MAX_AGE"] == 60
    assert s["CONN_HEALTH_CHECKS"] is True


def test_redis_url_switches_cache_and_sessions_to_redis():
    s = settings_with(SECRET_KEY="x", REDIS_URL="redis://127.0.0.1:6379/0")
    assert s["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.cache"


def test_bucket_switches_media_to_s3_compatible_storage():
    s = settings_with(SECRET_KEY="x", AWS_STORAGE_BUCKET_NAME="gigsta-media")
    assert s["MEDIA_STORAGE"] == "storages.backends.s3.S3Storage"


def test_message_attachments_never_sit_where_media_are_served():
    local = settings_with(SECRET_KEY="x")["ATTACHMENTS"]
    media_root = settings_with(SECRET_KEY="x")["MEDIA_ROOT"]
    assert local["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert not local["OPTIONS"]["location"].startswith(media_root)
    bucket = settings_with(SECRET_KEY="x", AWS_STORAGE_BUCKET_NAME="gigsta-media")["ATTACHMENTS"]["OPTIONS"]
    assert (bucket["bucket_name"], bucket["location"], bucket["default_acl"]) == ("gigsta-media", "private", "private")
    assert bucket["querystring_auth"] is True and bucket["custom_domain"] is None
    own = settings_with(
        SECRET_KEY="x", AWS_STORAGE_BUCKET_NAME="gigsta-media", AWS_PRIVATE_BUCKET_NAME="gigsta-private"
    )
    assert own["ATTACHMENTS"]["OPTIONS"]["bucket_name"] == "gigsta-private"


def test_allowed_hosts_follow_site_url():
    s = settings_with(SECRET_KEY="x", SITE_URL="https://gigsta.example.com")
    assert s["ALLOWED_HOSTS"][0] == "gigsta.example.com"


@pytest.mark.parametrize(
    "name", ["ACCOUNT_EMAIL_VERIFICATION", "SITE_URL", "EMAIL_PORT", "TRUSTED_PROXY_COUNT", "LOG_LEVEL", "LOG_FORMAT"]
)
def test_malformed_setting_is_named(name):
    result = load_settings(SECRET_KEY="x", **{name: "nonsense"})
    assert result.returncode != 0
    assert name in result.stderr


def test_env_example_lists_every_setting_read():
    """Every variable settings.py reads appears in .env.example."""
    import re

    source = (ROOT / "gigsta" / "settings.py").read_text()
    read = set(re.findall(r'env(?:_[a-z]+)?\("([A-Z0-9_]+)"', source))
    documented = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    assert read, "settings.py reads no variables?"
    assert read <= documented, f"missing from .env.example: {sorted(read - documented)}"


def test_log_level_in_any_case():
    result = load_settings(SECRET_KEY="x", LOG_LEVEL="warning")
    assert result.returncode == 0, result.stderr
