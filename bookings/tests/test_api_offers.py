"""POST /api/bookings/{id}/offer, the booking's `offer`, and accept_offer / decline_offer through the
actions endpoint (shared/API.md, version 1.1)."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import auth, post
from bookings.models import Booking, Offer
from bookings.services import booking_request
from bookings.tests.factories import at, make_booking, send_offer
from gigsta.tests.helpers import tasks_due

pytestmark = pytest.mark.django_db

OFFER_KEYS = {"price_minor", "currency", "duration_minutes", "deposit_percent", "note", "expires_at", "created_at"}


def offer_url(booking) -> str:
    return reverse("api:booking_offer_api", args=[booking.public_id])


def untouched(booking, state="requested") -> bool:
    booking.refresh_from_db()
    return booking.state == state and not Offer.objects.exists() and not tasks_due().exists()


def test_the_provider_offers_and_the_booking_answers_with_it(client, provider, booking):
    expires = at(5, hour=12)
    body = {"price_minor": 180000, "duration_minutes": 240, "note": "Own PA", "expires_at": expires.isoformat()}
    response = post(client, offer_url(booking), body, provider)
    assert response.status_code == 200
    answer = response.json()
    assert answer["state"] == "offered" and answer["price_minor"] == 150000  # the request's, until accepted
    assert set(answer["offer"]) == OFFER_KEYS
    assert answer["offer"]["price_minor"] == 180000 and answer["offer"]["currency"] == "EUR"
    assert answer["offer"]["duration_minutes"] == 240 and answer["offer"]["deposit_percent"] == 0
    assert dt.datetime.fromisoformat(answer["offer"]["expires_at"]) == expires
    assert [a["action_name"] for a in answer["actions"]] == ["decline", "offer"]
    assert Booking.objects.get().events.last().source == "api"


def test_a_revised_offer_replaces_the_first(client, provider, booking):
    post(client, offer_url(booking), {"price_minor": 180000}, provider)
    response = post(client, offer_url(booking), {"price_minor": 170000, "deposit_percent": 20}, provider)
    assert response.status_code == 200
    assert (response.json()["offer"]["price_minor"], response.json()["offer"]["deposit_percent"]) == (170000, 20)
    assert Offer.objects.count() == 2


def test_the_client_sees_the_offer_and_accepts_it(client, client_user, booking):
    send_offer(booking, price_minor=180000, duration_minutes=240)
    detail = client.get(reverse("api:booking_detail_api", args=[booking.public_id]), headers=auth(client_user)).json()
    assert detail["offer"]["price_minor"] == 180000
    assert [a["action_name"] for a in detail["actions"]] == ["accept_offer", "decline_offer", "withdraw"]
    url = reverse("api:booking_action_api", args=[booking.public_id, "accept_offer"])
    answer = post(client, url, {}, client_user).json()
    assert answer["state"] == "accepted" and answer["price_minor"] == 180000 and answer["offer"] is None
    assert dt.datetime.fromisoformat(answer["ends_at"]) - dt.datetime.fromisoformat(answer["starts_at"]) == (
        dt.timedelta(hours=4)
    )


def test_declining_an_offer_leaves_the_request(client, client_user, booking):
    send_offer(booking)
    url = reverse("api:booking_action_api", args=[booking.public_id, "decline_offer"])
    answer = post(client, url, {}, client_user).json()
    assert answer["state"] == "requested" and answer["offer"] is None and answer["price_minor"] == 150000


def test_accepting_into_a_taken_slot_is_409(client, client_user, provider, service, booking):
    send_offer(booking, duration_minutes=360)
    later = booking.starts_at + dt.timedelta(hours=4)
    rival = booking_request(client=client_user, service=service, starts_at=later, venue="X")
    post(client, reverse("api:booking_action_api", args=[rival.public_id, "accept"]), {}, provider)
    url = reverse("api:booking_action_api", args=[booking.public_id, "accept_offer"])
    response = post(client, url, {}, client_user)
    assert response.status_code == 409 and response.json()["code"] == "slot_taken"
    booking.refresh_from_db()
    assert booking.state == "offered"


@pytest.mark.parametrize("state", ["accepted", "declined", "cancelled", "expired"])
def test_an_offer_unless_requested_or_offered_is_409(client, client_user, provider, service, state):
    booking = make_booking(client=client_user, service=service, to_state=state)
    response = post(client, offer_url(booking), {"price_minor": 180000}, provider)
    assert response.status_code == 409 and response.json()["code"] == "wrong_state"
    assert set(response.json()) >= {"detail", "code"}
    assert untouched(booking, state)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price_minor": 0}, "price_minor"),
        ({"price_minor": -100}, "price_minor"),
        ({"price_minor": 10**12}, "price_minor"),
        ({"price_minor": None}, "price_minor"),
        ({"price_minor": "lots"}, "price_minor"),
        ({}, "price_minor"),
        ({"price_minor": 180000, "duration_minutes": 0}, "duration_minutes"),
        ({"price_minor": 180000, "duration_minutes": 10**9}, "duration_minutes"),
        ({"price_minor": 180000, "deposit_percent": 91}, "deposit_percent"),
        ({"price_minor": 180000, "note": "x" * 1001}, "note"),
        ({"price_minor": 180000, "note": "a\u0000b"}, "note"),
        ({"price_minor": 180000, "expires_at": "2020-01-01T10:00:00+01:00"}, "expires_at"),
        ({"price_minor": 180000, "expires_at": "2099-01-01T10:00:00+01:00"}, "expires_at"),
        ({"price_minor": 180000, "expires_at": "2030-01-01T10:00:00"}, "expires_at"),
        ({"price_minor": 180000, "expires_at": "10000-01-01T10:00:00+01:00"}, "expires_at"),
        ({"price_minor": 180000, "expires_at": "0001-01-01T00:00:00+14:00"}, "expires_at"),
        ({"price_minor": 180000, "expires_at": "9999-12-31T23:59:59-14:00"}, "expires_at"),
    ],
)
def test_bad_fields_are_422_naming_the_field(client, provider, booking, body, field):
    response = post(client, offer_url(booking), body, provider)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert untouched(booking)


def test_the_client_is_403_a_stranger_404_and_no_credentials_401(client, client_user, stranger, booking):
    assert post(client, offer_url(booking), {"price_minor": 180000}, client_user).status_code == 403
    assert post(client, offer_url(booking), {"price_minor": 180000}, stranger).status_code == 404
    body = json.dumps({"price_minor": 180000})
    assert client.post(offer_url(booking), body, content_type="application/json").status_code == 401
    assert untouched(booking)


def test_the_actions_endpoint_points_to_the_offer_endpoint(client, provider, booking):
    response = post(client, reverse("api:booking_action_api", args=[booking.public_id, "offer"]), {}, provider)
    assert response.status_code == 409 and response.json()["code"] == "not_a_transition"
    assert "POST /api/bookings/{id}/offer" in response.json()["detail"]
    assert untouched(booking)


def test_a_repeated_offer_with_a_key_runs_once(client, provider, booking):
    headers = {**auth(provider), "Idempotency-Key": "offer-1"}
    body = json.dumps({"price_minor": 180000})
    first = client.post(offer_url(booking), body, content_type="application/json", headers=headers)
    again = client.post(offer_url(booking), body, content_type="application/json", headers=headers)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert Offer.objects.count() == 1


def test_the_list_costs_the_same_with_offers(client, client_user, service, django_assert_num_queries):
    headers = auth(client_user)
    for i in range(4):
        send_offer(booking_request(client=client_user, service=service, starts_at=at(20 + i), venue="A"))
    client.get(reverse("api:booking_list_api"), headers=headers)
    with django_assert_num_queries(3):  # token, count, page
        items = client.get(reverse("api:booking_list_api"), headers=headers).json()["items"]
    assert [i["offer"]["price_minor"] for i in items] == [170000] * 4


def test_an_expired_offer_is_not_offered_for_acceptance(client, client_user, booking):
    send_offer(booking, expires_at=timezone.now() + dt.timedelta(seconds=1))
    Offer.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    url = reverse("api:booking_action_api", args=[booking.public_id, "accept_offer"])
    response = post(client, url, {}, client_user)
    assert response.status_code == 409 and response.json()["code"] == "guard"
