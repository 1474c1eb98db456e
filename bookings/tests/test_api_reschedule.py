"""A new time through the API: POST /api/bookings/{id}/reschedule (and /actions/reschedule with
starts_at), the booking's `reschedule`, and accept_reschedule / decline_reschedule through the
actions endpoint (shared/API.md, version 1.1)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import auth, make_user, post
from bookings.models import Booking, RescheduleProposal
from bookings.tests.factories import at, make_booking
from gigsta.tests.helpers import tasks_due

pytestmark = pytest.mark.django_db

RESCHEDULE_KEYS = {"starts_at", "ends_at", "proposed_by", "note", "created_at"}


@pytest.fixture
def confirmed(client_user, service):
    return make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(30))


def url(booking) -> str:
    return reverse("api:booking_reschedule_api", args=[booking.public_id])


def action_url(booking, name: str) -> str:
    return reverse("api:booking_action_api", args=[booking.public_id, name])


def untouched(booking) -> bool:
    fresh = Booking.objects.get(pk=booking.pk)
    return (
        (fresh.starts_at, fresh.reschedule_id, fresh.events.count())
        == (booking.starts_at, None, booking.events.count())
        and not RescheduleProposal.objects.exists()
        and not tasks_due().exists()
    )


def test_the_client_proposes_and_the_booking_shows_it(client, client_user, confirmed):
    new = at(37, 21)
    response = post(client, url(confirmed), {"starts_at": new.isoformat(), "note": "Venue moved"}, client_user)
    assert response.status_code == 200
    answer = response.json()
    assert answer["state"] == "confirmed"
    assert dt.datetime.fromisoformat(answer["starts_at"]) == at(30)  # not moved until accepted
    assert set(answer["reschedule"]) == RESCHEDULE_KEYS
    assert answer["reschedule"]["proposed_by"] == "client" and answer["reschedule"]["note"] == "Venue moved"
    assert dt.datetime.fromisoformat(answer["reschedule"]["starts_at"]) == new
    assert dt.datetime.fromisoformat(answer["reschedule"]["ends_at"]) == new + dt.timedelta(hours=3)
    assert [a["action_name"] for a in answer["actions"]] == ["cancel", "withdraw_reschedule"]
    assert Booking.objects.get().events.last().source == "api"


def test_the_actions_endpoint_takes_starts_at_too(client, provider, confirmed):
    response = post(client, action_url(confirmed, "reschedule"), {"starts_at": at(33).isoformat()}, provider)
    assert response.status_code == 200 and response.json()["reschedule"]["proposed_by"] == "provider"


def test_the_actions_endpoint_without_starts_at_is_422_naming_the_field(client, provider, confirmed):
    response = post(client, action_url(confirmed, "reschedule"), {"note": "hi"}, provider)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "starts_at", "message": "Give the new time (ISO 8601 with offset)."}]
    assert untouched(confirmed)


def test_the_other_party_accepts_and_the_booking_moves(client, client_user, provider, confirmed):
    post(client, url(confirmed), {"starts_at": at(37, 21).isoformat()}, client_user)
    detail = client.get(reverse("api:booking_detail_api", args=[confirmed.public_id]), headers=auth(provider)).json()
    assert detail["reschedule"]["proposed_by"] == "client"
    assert [a["action_name"] for a in detail["actions"]] == ["cancel", "accept_reschedule", "decline_reschedule"]
    answer = post(client, action_url(confirmed, "accept_reschedule"), {}, provider).json()
    assert answer["reschedule"] is None and answer["state"] == "confirmed"
    assert dt.datetime.fromisoformat(answer["starts_at"]) == at(37, 21)
    assert dt.datetime.fromisoformat(answer["ends_at"]) == at(38, 0)
    assert answer["price_minor"] == 150000
    events = client.get(reverse("api:booking_events_api", args=[confirmed.public_id]), headers=auth(provider)).json()
    assert [(e["action_name"], e["from_state"], e["to_state"]) for e in events[-2:]] == [
        ("reschedule", "confirmed", "confirmed"),
        ("accept_reschedule", "confirmed", "confirmed"),
    ]


def test_the_proposer_cannot_accept_409(client, client_user, confirmed):
    post(client, url(confirmed), {"starts_at": at(37).isoformat()}, client_user)
    response = post(client, action_url(confirmed, "accept_reschedule"), {}, client_user)
    assert response.status_code == 409 and response.json()["code"] == "not_your_action"


def test_decline_keeps_the_time(client, client_user, provider, confirmed):
    post(client, url(confirmed), {"starts_at": at(37).isoformat()}, provider)
    answer = post(client, action_url(confirmed, "decline_reschedule"), {"note": "Can't that day"}, client_user).json()
    assert answer["reschedule"] is None and dt.datetime.fromisoformat(answer["starts_at"]) == at(30)


@pytest.mark.parametrize(
    ("starts_at", "status", "code"),
    [
        (lambda: (timezone.now() - dt.timedelta(hours=1)).isoformat(), 422, "validation_error"),
        (lambda: (timezone.now() + dt.timedelta(hours=2)).isoformat(), 422, "validation_error"),
        (lambda: at(30).isoformat(), 422, "validation_error"),
        (lambda: "2027-03-14T20:00:00", 422, "validation_error"),  # no offset
        (lambda: "not a time", 422, "validation_error"),
        (lambda: None, 422, "validation_error"),
        (lambda: "9999-12-31T23:00:00+00:00", 422, "validation_error"),
    ],
    ids=["past", "short-notice", "same", "naive", "garbage", "null", "year-9999"],
)
def test_bad_times_are_422_and_nothing_changes(client, client_user, confirmed, starts_at, status, code):
    response = post(client, url(confirmed), {"starts_at": starts_at()}, client_user)
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code and "starts_at" in str(response.json()["errors"])
    assert untouched(confirmed)


def test_a_taken_slot_is_409_and_nothing_changes(client, client_user, confirmed, service):
    rival = make_user("rival@example.com", "Rival Client")
    make_booking(client=rival, service=service, to_state="accepted", starts_at=at(40))
    response = post(client, url(confirmed), {"starts_at": at(40, 21).isoformat()}, client_user)
    assert response.status_code == 409 and response.json()["code"] == "slot_taken"
    assert untouched(confirmed)


def test_a_second_proposal_is_409(client, client_user, provider, confirmed):
    post(client, url(confirmed), {"starts_at": at(37).isoformat()}, client_user)
    response = post(client, url(confirmed), {"starts_at": at(38).isoformat()}, provider)
    assert response.status_code == 409 and "already proposed" in response.json()["detail"]


def test_strangers_get_404_and_no_credentials_401(client, stranger, confirmed):
    assert post(client, url(confirmed), {"starts_at": at(37).isoformat()}, stranger).status_code == 404
    response = client.post(url(confirmed), {"starts_at": at(37).isoformat()}, content_type="application/json")
    assert response.status_code == 401
    assert untouched(confirmed)
