from unittest import mock

import pytest
from django.db import DatabaseError
from django.urls import reverse


@pytest.mark.django_db
def test_health_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_when_database_is_migrated(client):
    response = client.get(reverse("ready"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "pending_migrations": 0}


@pytest.mark.django_db
def test_not_ready_when_migrations_are_pending(client):
    fake_plan = [("migration", False)]
    with mock.patch("django.db.migrations.executor.MigrationExecutor.migration_plan", return_value=fake_plan):
        response = client.get(reverse("ready"))
    assert response.status_code == 503
    assert response.json()["pending_migrations"] == 1


@pytest.mark.django_db
def test_not_ready_when_database_fails(client):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=DatabaseError("down")):
        response = client.get(reverse("ready"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable", "error": "DatabaseError"}
