import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_categories_are_public_and_come_from_the_data_migration(client):
    response = client.get(reverse("api:category_list_api"))
    assert response.status_code == 200
    body = response.json()
    slugs = [c["slug"] for c in body]
    assert {"live-music", "dj", "photography", "mc-host", "catering"} <= set(slugs)
    assert set(body[0]) == {"slug", "name"}
