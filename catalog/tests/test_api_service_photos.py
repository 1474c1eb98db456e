"""Covers in the API: each service in the list and the detail says which photo it leads with."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.tests.factories import make_user
from catalog.photos import service_photo_set_alt
from catalog.tests.factories import add_photos, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SEARCH_CACHE_SECONDS = 0  # every request searches the database


def test_the_list_and_the_detail_carry_the_cover(client, provider):
    service = make_service(provider, title="Soul band")
    make_service(provider, title="Jazz trio")
    (photo,) = add_photos(service, 1, size=(2400, 1600))
    service_photo_set_alt(photo=photo, actor=provider, alt="The band on stage")
    items = {i["title"]: i for i in client.get(reverse("api:service_list_api")).json()["items"]}
    assert items["Jazz trio"]["cover"] is None
    cover = items["Soul band"]["cover"]
    assert cover["id"] == str(photo.public_id) and cover["alt"] == "The band on stage"
    assert [(s["width"], s["height"]) for s in cover["sizes"]] == [(320, 213), (640, 427), (1280, 853)]
    assert cover["sizes"][2]["url"] == settings.SITE_URL + photo.large.url
    assert cover["thumbnail_url"].endswith(photo.thumbnail.name)
    detail = client.get(reverse("api:service_detail_api", args=[service.public_id])).json()
    assert detail["cover"] == cover


def test_covers_cost_the_list_no_query(client, provider, django_assert_num_queries):
    for i in range(6):
        service = make_service(make_user(f"p{i}@example.com", f"Band {i}", role="provider"), title=f"Wedding band {i}")
        add_photos(service, 1, size=(300, 300))
    with django_assert_num_queries(3):  # count, the page's ids, the page's services with their covers
        body = client.get(reverse("api:service_list_api"), {"q": "wedding"}).json()
    assert len(body["items"]) == 6 and all(item["cover"] for item in body["items"])
