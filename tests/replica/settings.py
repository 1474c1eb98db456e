"""GigSta's settings with one read replica: DATABASE_URL and DATABASE_REPLICA_URLS name the
throwaway primary and replica tests/replica/conftest.py makes on these two free ports."""

import os

from deploy.pg_replication import free_port

PRIMARY_PORT = int(os.environ.setdefault("GIGSTA_TEST_PRIMARY_PORT", str(free_port())))
REPLICA_PORT = int(os.environ.setdefault("GIGSTA_TEST_REPLICA_PORT", str(free_port())))
DATABASE_NAME = "gigsta_replica"
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{PRIMARY_PORT}/{DATABASE_NAME}"
os.environ["DATABASE_REPLICA_URLS"] = f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{DATABASE_NAME}"
os.environ["REDIS_URL"] = ""

from gigsta.settings import *  # noqa: E402, F403
