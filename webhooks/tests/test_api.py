"""The webhooks API: subscribe (secret once), list, delete, the delivery log, redeliver."""

import json

import pytest
from django.urls import reverse

from accounts.tests.factories import auth, post
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from webhooks.models import Subscription
from webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with Receiver() as receiver:
        yield receiver


def test_subscribe_shows_the_secret_once(client, provider, receiver):
    created = post(client, reverse("api:webhook_create_api"), {"url": receiver.url, "events": ["booking.*"]}, provider)
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["booking.*"]
    listed = client.get(reverse("api:webhook_list_api"), headers=auth(provider)).json()
    assert [w["id"] for w in listed] == [body["id"]] and "secret" not in listed[0]
    assert body["secret"] not in json.dumps(list(Subscription.objects.values()), default=str)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "not a url", "events": ["booking.*"]}, "url"),
        ({"url": "ftp://example.com/x", "events": ["booking.*"]}, "url"),
        ({"url": "https://example.com/x", "events": ["booking.teleport"]}, "events"),
        ({"url": "https://example.com/x", "events": []}, "events"),
    ],
)
def test_bad_subscriptions_are_422_naming_the_field(client, provider, payload, field):
    answer = post(client, reverse("api:webhook_create_api"), payload, provider)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field
    assert not Subscription.objects.exists()


def test_plain_http_and_private_addresses_need_the_setting(client, provider, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    answer = post(
        client, reverse("api:webhook_create_api"), {"url": "http://example.com/x", "events": ["booking.*"]}, provider
    )
    assert answer.status_code == 422 and "https" in answer.json()["detail"]


def test_the_log_and_redelivery_are_the_owners_alone(client, client_user, provider, stranger, receiver):
    created = post(client, reverse("api:webhook_create_api"), {"url": receiver.url, "events": ["booking.*"]}, provider)
    webhook_id = created.json()["id"]
    make_booking(client=client_user, service=make_service(provider), to_state="accepted")
    log_url = reverse("api:webhook_deliveries_api", args=[webhook_id])
    log = client.get(log_url, headers=auth(provider)).json()
    assert log["count"] == 2 and [d["event_type"] for d in log["items"]] == ["booking.accept", "booking.request"]
    assert all(d["status_code"] == 200 and d["delivered_at"] for d in log["items"])
    assert client.get(log_url, headers=auth(stranger)).status_code == 404

    redeliver = reverse("api:webhook_redeliver_api", args=[webhook_id, log["items"][0]["id"]])
    assert post(client, redeliver, {}, stranger).status_code == 404
    assert post(client, redeliver, {}, provider).status_code == 202

    delete = reverse("api:webhook_delete_api", args=[webhook_id])
    assert client.delete(delete, headers=auth(stranger)).status_code == 404
    assert client.delete(delete, headers=auth(provider)).status_code == 204
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("events", [["message.created"], ["message.*"], ["booking.*", "message.*"]])
def test_message_events_can_be_subscribed_to(client, provider, events):
    answer = post(
        client, reverse("api:webhook_create_api"), {"url": "https://example.com/x", "events": events}, provider
    )
    assert answer.status_code == 201 and answer.json()["events"] == sorted(events)


def test_unknown_message_events_are_refused(client, provider):
    answer = post(
        client,
        reverse("api:webhook_create_api"),
        {"url": "https://example.com/x", "events": ["message.deleted"]},
        provider,
    )
    assert answer.status_code == 422 and "message.deleted" in answer.json()["detail"]
