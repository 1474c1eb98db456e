"""DATABASE_REPLICA_URLS adds the replicas, the router and the read-your-writes middleware; without
it the database settings are exactly the single-server ones (tests/replica runs the real thing)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json
from django.conf import settings as s
keys = ("HOST", "PORT", "NAME", "OPTIONS", "TEST")
print(json.dumps({
    "DATABASES": {alias: {k: db.get(k) for k in keys} for alias, db in s.DATABASES.items()},
    "ROUTERS": s.DATABASE_ROUTERS,
    "PIN": "gigsta.middleware.ReplicaPinMiddleware" in s.MIDDLEWARE,
    "LAG": s.REPLICA_MAX_LAG_SECONDS,
}, default=str))
"""


def probe(**environ: str) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**keep, "DJANGO_SETTINGS_MODULE": "gigsta.settings", "SECRET_KEY": "x", **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_replicas_there_is_no_router_and_no_pin():
    result = probe(DATABASE_URL="postgres://u@db:5432/gigsta")
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)
    assert list(settings["DATABASES"]) == ["default"]
    assert settings["ROUTERS"] == []
    assert settings["PIN"] is False


def test_each_replica_url_becomes_a_replica_alias_with_a_short_connect_timeout():
    result = probe(
        DATABASE_URL="postgres://u@primary:5432/gigsta",
        DATABASE_REPLICA_URLS="postgres://u@replica-a:5432/gigsta, postgres://u@replica-b:5432/gigsta",
        REPLICA_MAX_LAG_SECONDS="7",
        REPLICA_CONNECT_TIMEOUT="1",
    )
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)
    databases = settings["DATABASES"]
    assert list(databases) == ["default", "replica_1", "replica_2"]
    assert databases["replica_2"]["HOST"] == "replica-b"
    assert databases["replica_1"]["OPTIONS"] == {"connect_timeout": 1}
    assert databases["replica_1"]["TEST"] == {"MIRROR": "default"}
    assert settings["ROUTERS"] == ["gigsta.db_router.ReplicaRouter"]
    assert settings["PIN"] is True
    assert settings["LAG"] == 7


def test_replicas_without_a_primary_url_stop_startup_with_a_clear_message():
    result = probe(DATABASE_REPLICA_URLS="postgres://u@replica-a:5432/gigsta")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URLS needs DATABASE_URL" in result.stderr
