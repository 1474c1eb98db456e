"""Reads go to the streaming replica, writes and transactions to the primary, and a browser that
wrote reads from the primary for REPLICA_PIN_SECONDS (gigsta/db_router.py, ReplicaPinMiddleware).

The replica's replay is paused where a test needs to tell the two apart: a row committed on the
primary is then missing on the replica, so what a page shows says which server answered."""

import json
import secrets
import time

import pytest
from django.apps import apps
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from catalog.models import Category
from gigsta.db_router import ReplicaRouter, RequestState, request_state

COOKIE = "gigsta_primary"


def category_create() -> str:
    slug = f"replica-{secrets.token_hex(4)}"
    Category.objects.create(slug=slug, name=slug)
    return slug


def listed(client: Client) -> set[str]:
    response = client.get(reverse("api:category_list_api"))
    assert response.status_code == 200, response.content
    return {row["slug"] for row in response.json()}


def register(client: Client) -> str:
    email = f"reader-{secrets.token_hex(4)}@example.com"
    body = {"email": email, "password": "a long enough password 1", "display_name": "Rita Reader", "role": "client"}
    response = client.post(reverse("api:register_api"), json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    return email


def test_the_replica_is_a_streaming_standby_of_the_primary():
    with connections["replica_1"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (False,)


def test_a_pages_reads_are_answered_by_the_replica(replica, caught_up, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 3600  # a paused replica counts as fresh enough here
    seen = category_create()
    caught_up()
    replica.psql("SELECT pg_wal_replay_pause()")
    unseen = category_create()
    with CaptureQueriesContext(connections["replica_1"]) as on_replica:
        slugs = listed(Client())
    assert seen in slugs
    assert unseen not in slugs, "the page was read from the primary"
    assert any("catalog_category" in q["sql"] for q in on_replica.captured_queries)


def test_writes_go_to_the_primary_and_the_writer_then_reads_from_it(replica, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    replica.psql("SELECT pg_wal_replay_pause()")
    writer, other = Client(), Client()
    with CaptureQueriesContext(connections["replica_1"]) as on_replica:
        email = register(writer)  # it checks the address is free: on the primary too
    assert on_replica.captured_queries == []
    assert User.objects.using("default").filter(email=email).exists()
    assert writer.cookies[COOKIE].value
    unseen = category_create()
    assert unseen in listed(writer), "the writer's reads did not stay on the primary"
    assert unseen not in listed(other), "a browser that wrote nothing was not served by the replica"


def test_the_pin_ends_after_replica_pin_seconds(replica, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    settings.REPLICA_PIN_SECONDS = 2  # the signature's time counts whole seconds
    writer = Client()
    register(writer)
    replica.psql("SELECT pg_wal_replay_pause()")
    unseen = category_create()
    assert unseen in listed(writer)
    time.sleep(2.1)
    assert unseen not in listed(writer)


def test_a_refused_write_does_not_pin():
    refused = Client()
    response = refused.post(
        reverse("api:register_api"), json.dumps({"email": "not an email"}), content_type="application/json"
    )
    assert response.status_code == 422
    assert COOKIE not in refused.cookies


def test_reads_inside_a_transaction_and_outside_a_request_use_the_primary():
    router = ReplicaRouter()
    assert router.db_for_read(Category) == "default"  # no request: the worker, timers, commands
    token = request_state.set(RequestState())
    try:
        assert router.db_for_read(Category) == "replica_1"
        with transaction.atomic():
            assert router.db_for_read(Category) == "default"
        assert router.db_for_read(User) == "replica_1"
        for shared in ("sessions.Session", "django_tasks_database.DBTaskResult", "accounts.ApiToken"):
            assert router.db_for_read(apps.get_model(shared)) == "default", shared
        assert router.db_for_write(Category) == "default"
    finally:
        request_state.reset(token)


def test_a_stopped_replica_is_skipped_and_the_primary_answers(replica, caught_up):
    client = Client()
    listed(client)  # the replica's connection is open and kept (CONN_MAX_AGE)
    replica.stop("fast")
    slug = category_create()
    started = time.monotonic()
    with CaptureQueriesContext(connections["default"]) as on_primary:
        assert slug in listed(client)
    assert time.monotonic() - started < 3
    assert any("catalog_category" in q["sql"] for q in on_primary.captured_queries)
    ready = client.get(reverse("ready"))
    assert ready.status_code == 200
    assert ready.json()["replicas"]["replica_1"]["status"] == "unreachable"
    replica.start()
    caught_up()
    assert client.get(reverse("ready")).json()["replicas"]["replica_1"] == {"status": "ok", "lag_seconds": 0.0}


def test_a_lagging_replica_is_skipped_and_ready_reports_its_lag(replica, caught_up, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 1
    replica.psql("SELECT pg_wal_replay_pause()")
    slug = category_create()
    time.sleep(1.2)
    client = Client()
    assert slug in listed(client), "a replica over the lag limit answered"
    ready = client.get(reverse("ready"))
    assert ready.status_code == 200
    report = ready.json()
    assert report["replicas"]["replica_1"]["status"] == "lagging"
    assert report["replicas"]["replica_1"]["lag_seconds"] > 1
    assert report["replica_max_lag_seconds"] == 1
    replica.psql("SELECT pg_wal_replay_resume()")
    caught_up()
    assert client.get(reverse("ready")).json()["replicas"]["replica_1"]["status"] == "ok"


@pytest.mark.parametrize("page", ["api:category_list_api", "home"])
def test_a_get_whose_replica_connection_breaks_halfway_is_answered_from_the_primary(page, replica, caught_up):
    """The replica passed its check at the request's start, then its server ends the connection
    (a restart, a failover): the GET is answered again from the primary, not with a 500."""
    slug = category_create()
    caught_up()
    cut = []

    def cut_before_the_first_read(execute, sql, params, many, context):
        if not cut and "catalog_category" in sql:
            cut.append(sql)
            replica.psql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        return execute(sql, params, many, context)

    client = Client()
    with connections["replica_1"].execute_wrapper(cut_before_the_first_read):
        response = client.get(reverse(page))
    assert cut, "the request never read from the replica"
    assert response.status_code == 200
    if page.startswith("api:"):
        assert slug in {row["slug"] for row in response.json()}
    ready = client.get(reverse("ready")).json()
    assert ready["replicas"]["replica_1"]["status"] == "ok", "the replica is used again at the next check"
