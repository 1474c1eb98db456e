"""The bookings API of shared/API.md: create, list, detail with actions, actions, act, events."""

import json
import uuid

import pytest
from django.urls import reverse

from accounts.tests.factories import auth, post
from bookings.models import Booking, BookingEvent
from bookings.services import booking_request, booking_transition
from bookings.tests.factories import at, make_booking

pytestmark = pytest.mark.django_db


def create(client, user, service, **overrides):
    body = {"service_id": str(service.public_id), "starts_at": at(30).isoformat(), "venue": "Villa Rosa", **overrides}
    return post(client, reverse("api:booking_create_api"), body, user)


def test_client_requests_a_booking(client, client_user, service, provider):
    response = create(client, client_user, service, message="Our wedding!")
    assert response.status_code == 201
    body = response.json()
    booking = Booking.objects.get()
    assert body["id"] == str(booking.public_id) and body["state"] == "requested"
    assert body["service_id"] == str(service.public_id)
    assert body["client"] == {"id": str(client_user.public_id), "display_name": "Carla Client"}
    assert body["provider"]["id"] == str(provider.public_id)
    assert [a["action_name"] for a in body["actions"]] == ["withdraw", "reschedule"]
    assert body["actions"][0]["is_critical"] is True
    assert BookingEvent.objects.get().source == "api"


def test_past_date_is_422(client, client_user, service):
    response = create(client, client_user, service, starts_at=at(-2).isoformat())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "starts_at"
    assert not Booking.objects.exists()


def test_provider_already_booked_is_409(client, client_user, service):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    response = create(client, client_user, service, starts_at=booking.starts_at.isoformat())
    assert response.status_code == 409
    assert response.json()["code"] == "slot_taken"


def test_provider_cannot_book_own_service_403(client, provider, service):
    assert create(client, provider, service).status_code == 403
    assert not Booking.objects.exists()


def test_unknown_service_is_404(client, client_user, service):
    assert create(client, client_user, service, service_id=str(uuid.uuid4())).status_code == 404


def test_provider_sees_accept_and_decline_and_takes_one(client, provider, booking):
    url = reverse("api:booking_actions_api", args=[booking.public_id])
    actions = client.get(url, headers=auth(provider)).json()
    assert [a["action_name"] for a in actions] == ["accept", "decline", "offer", "reschedule"]
    assert set(actions[0]) == {
        "action_name", "button_label", "note", "is_critical", "starts_checkout", "takes_terms", "takes_amount",
        "needs_note",
    }  # fmt: skip
    assert [a["takes_terms"] for a in actions] == [False, False, True, True]
    response = post(
        client,
        reverse("api:booking_action_api", args=[booking.public_id, "accept"]),
        {"note": "See you there"},
        provider,
    )
    assert response.status_code == 200
    assert response.json()["state"] == "accepted"
    assert [a["action_name"] for a in response.json()["actions"]] == ["mark_paid", "reschedule"]


def test_action_not_available_now_is_409_and_writes_nothing(client, client_user, booking):
    response = post(client, reverse("api:booking_action_api", args=[booking.public_id, "accept"]), {}, client_user)
    assert response.status_code == 409
    assert response.json()["code"] == "not_your_action"
    assert booking.events.count() == 1


def test_unknown_action_is_404(client, provider, booking):
    response = post(client, reverse("api:booking_action_api", args=[booking.public_id, "teleport"]), {}, provider)
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_action"


def test_a_repeated_action_without_a_key_is_a_conflict(client, provider, booking):
    url = reverse("api:booking_action_api", args=[booking.public_id, "accept"])
    assert post(client, url, {}, provider).status_code == 200
    again = post(client, url, {}, provider)
    assert again.status_code == 409
    assert again.json()["code"] == "wrong_state"
    assert booking.events.filter(action="accept").count() == 1


def test_a_100_kb_note_is_422(client, provider, booking):
    url = reverse("api:booking_action_api", args=[booking.public_id, "accept"])
    assert post(client, url, {"note": "x" * 100_000}, provider).status_code == 422
    assert booking.events.count() == 1


def test_strangers_get_404_everywhere(client, stranger, booking):
    headers = auth(stranger)
    for name in ("booking_detail_api", "booking_actions_api", "booking_events_api"):
        assert client.get(reverse(f"api:{name}", args=[booking.public_id]), headers=headers).status_code == 404
    url = reverse("api:booking_action_api", args=[booking.public_id, "withdraw"])
    assert client.post(url, "{}", content_type="application/json", headers=headers).status_code == 404
    booking.refresh_from_db()
    assert booking.state == "requested"


def test_staff_may_read_any_booking(client, staff_user, booking):
    response = client.get(reverse("api:booking_detail_api", args=[booking.public_id]), headers=auth(staff_user))
    assert response.status_code == 200
    assert response.json()["actions"] == []


def test_events_oldest_first(client, provider, client_user, booking):
    booking_transition(booking=booking, action="accept", actor=provider, note="Looking forward")
    events = client.get(reverse("api:booking_events_api", args=[booking.public_id]), headers=auth(client_user)).json()
    assert [(e["action_name"], e["from_state"], e["to_state"]) for e in events] == [
        ("request", "", "requested"),
        ("accept", "requested", "accepted"),
    ]
    assert events[1]["actor"] == {"id": str(provider.public_id), "display_name": "Pete Provider"}
    assert events[1]["note"] == "Request accepted: Looking forward"


def test_list_is_the_callers_own_with_state_filter(client, client_user, provider, stranger, service):
    make_booking(client=client_user, service=service, to_state="accepted")
    for user, expected in ((client_user, 1), (provider, 1), (stranger, 0)):
        assert client.get(reverse("api:booking_list_api"), headers=auth(user)).json()["count"] == expected
    headers = auth(client_user)
    assert client.get(reverse("api:booking_list_api"), {"state": "accepted"}, headers=headers).json()["count"] == 1
    assert client.get(reverse("api:booking_list_api"), {"state": "requested"}, headers=headers).json()["count"] == 0
    assert client.get(reverse("api:booking_list_api"), {"state": "bogus"}, headers=headers).status_code == 422


def test_list_query_count_does_not_grow(client, client_user, service, django_assert_num_queries):
    headers = auth(client_user)
    booking_request(client=client_user, service=service, starts_at=at(20), venue="A")
    client.get(reverse("api:booking_list_api"), headers=headers)  # the token's first use is recorded once
    with django_assert_num_queries(3):  # token, count, page
        client.get(reverse("api:booking_list_api"), headers=headers)
    for i in range(10):
        booking_request(client=client_user, service=service, starts_at=at(21 + i), venue="B")
    with django_assert_num_queries(3):
        assert client.get(reverse("api:booking_list_api"), headers=headers).json()["count"] == 11


def test_creating_needs_authentication(client, service):
    body = {"service_id": str(service.public_id), "starts_at": at(30).isoformat(), "venue": "X"}
    response = client.post(reverse("api:booking_create_api"), json.dumps(body), content_type="application/json")
    assert response.status_code == 401


def test_an_hourly_request_is_priced_for_its_length(client, client_user, hourly):
    response = create(client, client_user, hourly, duration_minutes=360)
    assert response.status_code == 201
    assert (response.json()["price_minor"], response.json()["currency"]) == (54000, "EUR")


@pytest.mark.parametrize("minutes", [90, 0, -60, 10**9])
def test_a_request_below_the_minimum_or_out_of_range_is_422(client, client_user, hourly, minutes):
    response = create(client, client_user, hourly, duration_minutes=minutes)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "duration_minutes"
    assert not Booking.objects.exists()
