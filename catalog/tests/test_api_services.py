"""GET/POST /api/services, GET/PATCH /api/services/{id}."""

import datetime as dt
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import auth, make_user
from catalog.models import Service
from catalog.services import busy_day_block
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db

NEW = {
    "title": "Sunset DJ set",
    "description": "Deep house for rooftop parties.",
    "category": "dj",
    "price_minor": 80000,
    "currency": "eur",
    "city": "Hamburg, Germany",
    "duration_minutes": 240,
}


def post(client, body, user):
    return client.post(
        reverse("api:service_create_api"), json.dumps(body), content_type="application/json", headers=auth(user)
    )


def test_provider_creates_a_service(client, provider):
    response = post(client, NEW, provider)
    assert response.status_code == 201
    body = response.json()
    service = Service.objects.get()
    assert body["id"] == str(service.public_id)
    assert body["currency"] == "EUR"
    assert body["category"] == "dj"
    assert body["city"] == "Hamburg, Germany"
    assert round(body["latitude"], 2) == 53.55 and body["timezone"] == "Europe/Berlin"
    assert body["provider"] == {
        "id": str(provider.public_id),
        "display_name": "Pete Provider",
        "rating_avg": 0.0,
        "rating_count": 0,
    }
    assert "sunset" in service.search_text and "pete" in service.search_text


def test_client_cannot_create_a_service(client, client_user):
    response = post(client, NEW, client_user)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Service.objects.exists()


def test_create_needs_authentication(client):
    response = client.post(reverse("api:service_create_api"), json.dumps(NEW), content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "knitting"}, "category"),
        ({"price_minor": -5}, "price_minor"),
        ({"price_minor": 10**12}, "price_minor"),
        ({"currency": "euro"}, "currency"),
        ({"city": "Atlantis Under The Sea"}, "city"),
        ({"latitude": 123.0, "longitude": 10.0}, "latitude"),
        ({"duration_minutes": 5}, "duration_minutes"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_service_input_is_422_naming_the_field(client, provider, change, field):
    response = post(client, {**NEW, **change}, provider)
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Service.objects.exists()


def test_explicit_coordinates_keep_the_typed_place(client, provider):
    response = post(client, {**NEW, "city": "Schloss Elmau", "latitude": 47.46, "longitude": 11.19}, provider)
    assert response.status_code == 201
    assert response.json()["city"] == "Schloss Elmau"


def test_detail_is_public(client, provider):
    service = make_service(provider)
    response = client.get(reverse("api:service_detail_api", args=[service.public_id]))
    assert response.status_code == 200
    assert set(response.json()) >= {
        "id",
        "title",
        "description",
        "category",
        "price_minor",
        "currency",
        "city",
        "latitude",
        "longitude",
        "duration_minutes",
        "provider",
    }


def test_inactive_or_unknown_service_is_404(client, provider):
    service = make_service(provider, is_active=False)
    assert client.get(reverse("api:service_detail_api", args=[service.public_id])).status_code == 404
    assert client.get(reverse("api:service_detail_api", args=[uuid.uuid4()])).status_code == 404
    assert client.get("/api/services/not-a-uuid").status_code == 422


def test_owner_updates_and_deactivates(client, provider):
    service = make_service(provider)
    url = reverse("api:service_update_api", args=[service.public_id])
    response = client.patch(
        url,
        json.dumps({"price_minor": 175000, "city": "Munich, Germany"}),
        content_type="application/json",
        headers=auth(provider),
    )
    assert response.status_code == 200
    assert response.json()["price_minor"] == 175000
    assert response.json()["city"] == "Munich, Germany"
    assert round(response.json()["latitude"], 1) == 48.1
    response = client.patch(
        url, json.dumps({"is_active": False}), content_type="application/json", headers=auth(provider)
    )
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert client.get(reverse("api:service_list_api")).json()["count"] == 0


def test_other_provider_cannot_update_404(client, provider):
    service = make_service(provider)
    other = make_user("olga@example.com", "Olga Other", role="provider")
    url = reverse("api:service_update_api", args=[service.public_id])
    response = client.patch(url, json.dumps({"price_minor": 100}), content_type="application/json", headers=auth(other))
    assert response.status_code == 404
    service.refresh_from_db()
    assert service.price_minor == 150000


def test_list_shape_and_distance(client, provider):
    make_service(provider, city="Potsdam, Germany")
    response = client.get(reverse("api:service_list_api"), {"lat": 52.52437, "lng": 13.41053, "radius_km": 50})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["page"] == 1
    assert 20 < body["items"][0]["distance_km"] < 35  # Berlin to Potsdam, about 27 km


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"category": "knitting"}, "category"),
        ({"min_price": -1}, "min_price"),
        ({"max_price": 10**12}, "max_price"),
        ({"min_price": 500, "max_price": 100}, "max_price"),
        ({"lat": 95, "lng": 10}, "lat"),
        ({"lat": 50, "lng": 190}, "lng"),
        ({"lat": 50}, "lng"),
        ({"radius_km": 10}, "radius_km"),
        ({"lat": 50, "lng": 10, "radius_km": 0}, "radius_km"),
        ({"date": "2026-13-45"}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"date": "2001-01-01"}, "date"),
        ({"sort": "random"}, "sort"),
        ({"sort": "distance"}, "sort"),
        ({"page": 0}, "page"),
        ({"page_size": 1000}, "page_size"),
        ({"min_price": "cheap"}, "min_price"),
    ],
)
def test_bad_filters_are_422_naming_the_field(client, params, field):
    response = client.get(reverse("api:service_list_api"), params)
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}


def test_page_past_the_end_is_422(client, provider):
    make_service(provider)
    response = client.get(reverse("api:service_list_api"), {"page": 3})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "page"


def test_huge_query_string_is_a_clear_error(client):
    response = client.get(reverse("api:service_list_api"), {"q": "x" * 10_000})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"


def test_date_filter_hides_busy_providers(client, provider):
    make_service(provider)
    day = timezone.localdate() + dt.timedelta(days=10)
    busy_day_block(provider=provider, start=day)
    assert client.get(reverse("api:service_list_api"), {"date": day.isoformat()}).json()["count"] == 0
    other_day = day + dt.timedelta(days=1)
    assert client.get(reverse("api:service_list_api"), {"date": other_day.isoformat()}).json()["count"] == 1


def test_repeated_api_search_is_cached_until_a_change(
    client, provider, django_assert_num_queries, django_capture_on_commit_callbacks
):
    make_service(provider)
    url = reverse("api:service_list_api")
    first = client.get(url, {"q": "wedding"}).json()
    with django_assert_num_queries(0):
        assert client.get(url, {"q": "wedding"}).json() == first
    with django_capture_on_commit_callbacks(execute=True):
        make_service(provider, title="Wedding string quartet")
    assert client.get(url, {"q": "wedding"}).json()["count"] == 2
    # Deactivating a service is a change too.
    service = Service.objects.get(title="Wedding string quartet")
    with django_capture_on_commit_callbacks(execute=True):
        client.patch(
            reverse("api:service_update_api", args=[service.public_id]),
            json.dumps({"is_active": False}),
            content_type="application/json",
            headers=auth(provider),
        )
    assert client.get(url, {"q": "wedding"}).json()["count"] == 1


def test_api_search_query_count_does_not_grow_with_services(client, provider, django_assert_num_queries, settings):
    settings.SEARCH_CACHE_SECONDS = 0  # every request searches the database
    make_service(provider)
    params = {
        "q": "wedding",
        "lat": 52.52437,
        "lng": 13.41053,
        "radius_km": 100,
        "date": timezone.localdate().isoformat(),
    }
    with django_assert_num_queries(3):  # count, the page's ids, the page's services
        client.get(reverse("api:service_list_api"), params)
    for i in range(25):
        make_service(make_user(f"p{i}@example.com", f"Band {i}", role="provider"), title=f"Wedding band {i}")
    with django_assert_num_queries(3):
        body = client.get(reverse("api:service_list_api"), params).json()
    assert body["count"] == 26 and len(body["items"]) == 20


def test_a_currency_without_cents_is_refused(client, provider):
    """Prices are kept in cents and sent to Stripe as such: JPY would be charged 100 times over."""
    body = {**NEW, "currency": "JPY", "price_minor": 500000}
    response = client.post(
        reverse("api:service_create_api"), json.dumps(body), content_type="application/json", headers=auth(provider)
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "currency", "message": "Prices can be in EUR, GBP, USD, CHF, SEK, DKK, NOK, PLN, CZK."}
    ]
    assert not Service.objects.exists()


def test_the_early_deposit_setting_through_the_api(client, provider):
    service = make_service(provider, deposit_percent=20)
    url = reverse("api:service_update_api", args=[service.public_id])
    patch = {"deposit_paid_early": True}
    response = client.patch(url, json.dumps(patch), content_type="application/json", headers=auth(provider))
    assert response.status_code == 200 and response.json()["deposit_paid_early"] is True
    # Another change keeps it; taking the deposit away with it on is refused, nothing written.
    response = client.patch(
        url, json.dumps({"price_minor": 160000}), content_type="application/json", headers=auth(provider)
    )
    assert response.json()["deposit_paid_early"] is True
    response = client.patch(
        url, json.dumps({"deposit_percent": 0}), content_type="application/json", headers=auth(provider)
    )
    assert response.status_code == 422
    assert "Set a deposit first" in response.json()["detail"]
    service.refresh_from_db()
    assert (service.deposit_percent, service.deposit_paid_early) == (20, True)
