"""GET /api/services/{id}/slots: the free start times of a day, on the venue's clock."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.tests.factories import make_booking
from calendars.services import weekly_hours_save
from catalog.tests.factories import make_service

T = dt.time
BERLIN = ZoneInfo("Europe/Berlin")


def _slots(client, service_id, **query):
    return client.get(reverse("api:service_slots_api", args=[service_id]), query)


def _next(weekday: int) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def service(provider):
    return make_service(provider, duration_minutes=120)


def test_the_free_starts_of_a_day_with_offset_and_label(
    client, client_user, provider, service, django_assert_max_num_queries
):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(14))]})
    monday = _next(0)
    make_booking(
        client=client_user,
        service=service,
        to_state="accepted",
        starts_at=dt.datetime.combine(monday, T(12), tzinfo=BERLIN),
    )
    with django_assert_max_num_queries(8):  # the rules' reads, the service, holds, blocked days, own calendar
        response = _slots(client, service.public_id, date=monday.isoformat())
    assert response.status_code == 200
    slots = response.json()  # the list itself, as API.md 1.1 promises: [{starts_at, ends_at, label}]
    assert [s["label"] for s in slots] == ["09:00", "09:30", "10:00"]
    assert set(slots[0]) == {"starts_at", "ends_at", "label"}
    first = slots[0]
    offset = dt.datetime.combine(monday, T(9), tzinfo=BERLIN).strftime("%z")
    assert first["starts_at"] == f"{monday.isoformat()}T09:00:00{offset[:3]}:{offset[3:]}"
    assert dt.datetime.fromisoformat(first["ends_at"]) - dt.datetime.fromisoformat(first["starts_at"]) == dt.timedelta(
        hours=2
    )


def test_a_length_changes_which_starts_fit(client, provider, service):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(14))]})
    slots = _slots(client, service.public_id, date=_next(0).isoformat(), duration_minutes=240).json()
    assert [s["label"] for s in slots] == ["09:00", "09:30", "10:00"]


def test_without_hours_every_half_hour_is_offered(client, service):
    slots = _slots(client, service.public_id, date=_next(2).isoformat()).json()
    assert len(slots) == 48 and [s["label"] for s in slots[:2]] == ["00:00", "00:30"]


def test_an_unknown_service_is_404(client, db):
    response = _slots(client, uuid.uuid4(), date=_next(0).isoformat())
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("date", "field"),
    [("2027-13-01", "date"), ("tomorrow", "date"), ("", "date"), ("1999-01-01", "date"), ("2099-01-01", "date")],
)
def test_a_bad_past_or_far_date_is_422_naming_the_field(client, service, date, field):
    response = _slots(client, service.public_id, date=date)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and body["errors"][0]["field"] == field


def test_a_missing_date_and_a_length_out_of_range_are_422(client, service):
    assert _slots(client, service.public_id).status_code == 422
    response = _slots(client, service.public_id, date=_next(0).isoformat(), duration_minutes=5)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "duration_minutes"
    response = _slots(client, service.public_id, date=_next(0).isoformat(), duration_minutes=10**30)
    assert response.status_code == 422


def test_the_operation_is_documented(client, db):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/services/{service_id}/slots"]["get"]
    assert operation["operationId"] == "service_slots_api"
    assert "daylight-saving" in operation["description"]


def test_the_booking_api_refuses_a_time_the_slots_do_not_offer_with_the_reason(client, client_user, provider, service):
    from accounts.tests.factories import auth

    weekly_hours_save(provider=provider, week={0: [(T(9), T(14))]})
    monday = _next(0)
    offered = _slots(client, service.public_id, date=monday.isoformat()).json()
    body = {"service_id": str(service.public_id), "venue": "Villa Rosa"}
    url = reverse("api:booking_create_api")
    late = dt.datetime.combine(monday, T(13), tzinfo=BERLIN).isoformat()
    response = client.post(url, {**body, "starts_at": late}, content_type="application/json", headers=auth(client_user))
    assert response.status_code == 409
    assert response.json() == {"detail": "That time is outside the provider's working hours.", "code": "slot_taken"}
    response = client.post(
        url, {**body, "starts_at": offered[-1]["starts_at"]}, content_type="application/json", headers=auth(client_user)
    )
    assert response.status_code == 201
    booked = dt.datetime.fromisoformat(response.json()["starts_at"])
    assert (
        booked
        == dt.datetime.fromisoformat(offered[-1]["starts_at"])
        == dt.datetime.combine(monday, T(12), tzinfo=BERLIN)
    )
