"""Idempotency-Key on API POSTs: the same caller, key and body get the first answer again and
nothing runs twice; another body is 422; the answers are kept 24 hours, encrypted."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.tests.factories import PASSWORD, auth
from bookings.models import Booking, BookingEvent
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from gigsta.models import IdempotentAnswer

pytestmark = pytest.mark.django_db


def send(client, url: str, body: dict, headers: dict, key: str | None = "k-1"):
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url, json.dumps(body), content_type="application/json", headers={**headers, **extra})


@pytest.fixture
def service(provider):
    return make_service(provider)


def booking_body(service) -> dict:
    return {"service_id": str(service.public_id), "starts_at": "2030-03-14T20:00:00+01:00", "venue": "Villa Rosa"}


def test_the_same_key_and_body_get_the_first_answer_again_and_book_once(client, client_user, service):
    headers = auth(client_user)
    first = send(client, reverse("api:booking_create_api"), booking_body(service), headers)
    again = send(client, reverse("api:booking_create_api"), booking_body(service), headers)

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_writes_nothing(client, client_user, service):
    headers = auth(client_user)
    send(client, reverse("api:booking_create_api"), booking_body(service), headers)
    other = {**booking_body(service), "venue": "Somewhere else"}

    response = send(client, reverse("api:booking_create_api"), other, headers)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "idempotency_key_reused"
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert list(Booking.objects.values_list("venue", flat=True)) == ["Villa Rosa"]


def test_a_repeated_action_with_its_key_gets_the_first_answer_not_a_conflict(client, client_user, service):
    booking = make_booking(client=client_user, service=service)
    url = reverse("api:booking_action_api", args=[booking.public_id, "accept"])
    headers = auth(service.provider)

    first = send(client, url, {}, headers, key="accept-1")
    again = send(client, url, {}, headers, key="accept-1")
    without_key = send(client, url, {}, headers, key=None)

    assert (first.status_code, again.status_code, without_key.status_code) == (200, 200, 409)
    assert again.json() == first.json()
    assert BookingEvent.objects.filter(booking=booking, action="accept").count() == 1


def test_keys_belong_to_their_caller(client, client_user, stranger, service):
    send(client, reverse("api:booking_create_api"), booking_body(service), auth(client_user))
    other = {**booking_body(service), "starts_at": "2030-04-14T20:00:00+01:00"}
    response = send(client, reverse("api:booking_create_api"), other, auth(stranger))
    assert response.status_code == 201
    assert Booking.objects.count() == 2


def test_a_token_answer_is_replayed_but_not_kept_readable(client, client_user):
    body = {"email": client_user.email, "password": PASSWORD}
    first = send(client, reverse("api:token_create_api"), body, {})
    again = send(client, reverse("api:token_create_api"), body, {})

    assert first.status_code == again.status_code == 200
    assert again.json()["token"] == first.json()["token"]
    assert ApiToken.objects.count() == 1
    kept = IdempotentAnswer.objects.get()
    assert kept.caller == "anonymous"
    assert first.json()["token"] not in kept.body
    wrong_password = send(client, reverse("api:token_create_api"), {**body, "password": "guess"}, {})
    assert wrong_password.status_code == 422
    assert wrong_password.json()["code"] == "idempotency_key_reused"


def test_an_answer_that_did_not_run_is_not_kept(client, client_user, service):
    refused = send(client, reverse("api:booking_create_api"), booking_body(service), {})
    assert refused.status_code == 401
    assert not IdempotentAnswer.objects.exists()
    response = send(client, reverse("api:booking_create_api"), booking_body(service), auth(client_user))
    assert response.status_code == 201


def test_a_key_still_running_is_409(client, client_user, service):
    IdempotentAnswer.objects.create(caller=f"user:{client_user.pk}", key="k-1", fingerprint="x")
    response = send(client, reverse("api:booking_create_api"), booking_body(service), auth(client_user))
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert not Booking.objects.exists()


def test_a_key_longer_than_255_characters_is_422(client, client_user, service):
    response = send(client, reverse("api:booking_create_api"), booking_body(service), auth(client_user), "k" * 256)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Booking.objects.exists()


def test_after_24_hours_the_key_is_forgotten(client, client_user, service):
    headers = auth(client_user)
    send(client, reverse("api:booking_create_api"), booking_body(service), headers)
    IdempotentAnswer.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    Booking.objects.update(state="cancelled")  # the slot is free again

    again = send(client, reverse("api:booking_create_api"), booking_body(service), headers)

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Booking.objects.count() == 2


def test_run_timers_forgets_answers_older_than_24_hours(client_user):
    IdempotentAnswer.objects.create(caller="anonymous", key="old", fingerprint="x", status=200)
    IdempotentAnswer.objects.create(caller="anonymous", key="new", fingerprint="x", status=200)
    IdempotentAnswer.objects.filter(key="old").update(created_at=timezone.now() - dt.timedelta(hours=25))
    call_command("run_timers")
    assert list(IdempotentAnswer.objects.values_list("key", flat=True)) == ["new"]
