"""Without REDIS_URL the cache every worker shares is a table in the database, made by migrate:
rate-limit counters (API throttles, allauth's sign-in lock-out) and the catalog version."""

import json

import pytest
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.urls import reverse

from catalog.cache import VERSION_KEY, catalog_changed, catalog_version

pytestmark = pytest.mark.django_db

TABLE = "gigsta_cache"


@pytest.fixture
def shared_cache(settings):
    """Production's cache without REDIS_URL (the tests' conftest uses process memory instead)."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": TABLE},
    }


def another_worker() -> DatabaseCache:
    """What a second process reads: the same table, nothing of this process's memory."""
    return DatabaseCache(TABLE, {})


def rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        return cursor.fetchone()[0]


def test_migrate_makes_the_cache_table():
    assert TABLE in connection.introspection.table_names()


def test_a_catalog_change_is_seen_by_every_worker(shared_cache):
    before = catalog_version()
    catalog_changed()
    assert another_worker().get(VERSION_KEY) == before + 1


def test_api_throttle_counters_are_shared(client, client_user, shared_cache):
    body = json.dumps({"email": client_user.email, "password": "wrong"})
    statuses = [
        client.post(reverse("api:token_create_api"), body, content_type="application/json").status_code
        for _ in range(11)
    ]
    assert statuses == [401] * 10 + [429]
    assert rows() >= 1


def test_the_sign_in_lock_out_is_shared_and_answers_429(client, client_user, shared_cache):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": client_user.email, "password": "nope"})
    assert rows() >= 1
    response = client.post(reverse("account_login"), {"login": client_user.email, "password": "nope"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 300
