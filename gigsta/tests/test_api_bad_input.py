"""No input makes the API answer a 5xx: bad text, nulls, numbers and dates out of range and
oversized bodies are refused at the edge (422 naming the field, 400 for the body itself), in
the one error shape, and nothing is written."""

import json

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import auth, post
from bookings.models import Booking, BookingEvent
from bookings.tests.factories import make_booking
from catalog.models import Service
from catalog.tests.factories import make_service
from gigsta import urls, views

pytestmark = pytest.mark.django_db

NUL = "\x00"


def assert_refused(response, field: str, status: int = 422, code: str = "validation_error"):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert field in [error["field"] for error in body.get("errors", [])], body
    assert body["detail"]


@pytest.mark.parametrize("param", ["category", "q", "sort"])
def test_nul_in_a_search_parameter_is_422_naming_it(client, param):
    response = client.get(reverse("api:service_list_api"), {param: NUL})
    assert_refused(response, param)


def test_nul_in_a_service_title_is_422_and_creates_nothing(client, provider):
    body = {
        "title": f"DJ{NUL}set",
        "category": "dj",
        "price_minor": 10000,
        "currency": "EUR",
        "city": "Berlin, Germany",
        "duration_minutes": 120,
    }
    assert_refused(post(client, reverse("api:service_create_api"), body, provider), "title")
    assert not Service.objects.exists()


def test_nul_in_a_registration_is_422_and_creates_no_account(client, db):
    body = {"email": "nul@example.com", "password": "a-long-passphrase", "display_name": f"N{NUL}", "role": "client"}
    response = client.post(reverse("api:register_api"), json.dumps(body), content_type="application/json")
    assert_refused(response, "display_name")
    assert not User.objects.filter(email="nul@example.com").exists()


def test_nul_in_a_booking_venue_is_422_and_books_nothing(client, client_user, provider):
    service = make_service(provider)
    body = {"service_id": str(service.public_id), "starts_at": "2030-03-14T20:00:00+01:00", "venue": f"Villa{NUL}"}
    assert_refused(post(client, reverse("api:booking_create_api"), body, client_user), "venue")
    assert not Booking.objects.exists()


def test_nul_in_an_action_note_is_422_and_the_booking_stays(client, client_user, provider):
    booking = make_booking(client=client_user, service=make_service(provider))
    url = reverse("api:booking_action_api", args=[booking.public_id, "decline"])
    assert_refused(post(client, url, {"note": f"Sorry{NUL}"}, provider), "note")
    booking.refresh_from_db()
    assert booking.state == "requested"
    assert list(BookingEvent.objects.values_list("action", flat=True)) == ["request"]


@pytest.mark.parametrize("field", ["title", "description", "currency", "city", "category", "price_minor", "is_active"])
def test_null_for_a_service_field_is_422_naming_it_and_changes_nothing(client, provider, field):
    service = make_service(provider)
    before = Service.objects.values().get(pk=service.pk)
    response = client.patch(
        reverse("api:service_update_api", args=[service.public_id]),
        json.dumps({field: None}),
        content_type="application/json",
        headers=auth(provider),
    )
    assert_refused(response, field)
    assert Service.objects.values().get(pk=service.pk) == before


def test_null_coordinates_still_mean_find_them_from_the_city(client, provider):
    service = make_service(provider)
    response = client.patch(
        reverse("api:service_update_api", args=[service.public_id]),
        json.dumps({"city": "Hamburg, Germany", "latitude": None, "longitude": None}),
        content_type="application/json",
        headers=auth(provider),
    )
    assert response.status_code == 200, response.content
    assert round(response.json()["latitude"]) == 54


@pytest.mark.parametrize("page", ["9223372036854775807", "1" + "0" * 30, "100001", "0", "-1"])
def test_a_page_out_of_range_in_search_is_422_naming_page(client, page):
    assert_refused(client.get(reverse("api:service_list_api"), {"page": page}), "page")


@pytest.mark.parametrize("page", ["9223372036854775807", "1" + "0" * 30])
def test_a_huge_page_of_bookings_is_422_naming_page(client, client_user, page):
    response = client.get(reverse("api:booking_list_api"), {"page": page}, headers=auth(client_user))
    assert_refused(response, "page")


CENTURIES_AHEAD = ["9999-12-31T23:00:00+01:00", "9999-12-31T23:59:59-12:00", "2999-01-01T20:00:00Z"]


@pytest.mark.parametrize("starts_at", CENTURIES_AHEAD)
def test_a_booking_centuries_ahead_is_422_naming_starts_at_and_books_nothing(client, client_user, provider, starts_at):
    service = make_service(provider)
    body = {"service_id": str(service.public_id), "starts_at": starts_at, "venue": "Villa Rosa"}
    assert_refused(post(client, reverse("api:booking_create_api"), body, client_user), "starts_at")
    assert not Booking.objects.exists()


def test_a_body_over_the_limit_is_400_json_and_creates_nothing(client, provider, settings):
    settings.DEBUG = False
    body = json.dumps({"title": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = client.post(
        reverse("api:service_create_api"), body, content_type="application/json", headers=auth(provider)
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "body_too_large"
    assert not Service.objects.exists()


def test_a_body_that_is_not_json_is_400_malformed_json(client, provider):
    response = client.post(
        reverse("api:service_create_api"), b"{not json", content_type="application/json", headers=auth(provider)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"


def test_a_crash_under_the_api_is_500_json_in_the_error_shape():
    assert urls.handler500 == "gigsta.views.error_500"
    response = views.error_500(RequestFactory().get("/api/services"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "detail": "Something went wrong on our side; it has been logged.",
        "code": "server_error",
    }


def test_a_crash_on_a_page_is_still_the_html_500_page():
    response = views.error_500(RequestFactory().get("/bookings/"))
    assert response.status_code == 500
    assert b"<html" in response.content.lower()


def test_django_refusing_an_api_request_answers_json(client, settings):
    settings.ALLOWED_HOSTS = ["gigsta.test"]
    response = client.get("/api/services", HTTP_HOST="evil.test")  # DisallowedHost: Django's own 400
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
