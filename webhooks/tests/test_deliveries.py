"""Partner webhooks end to end: a real receiver on loopback, the real task queue."""

import datetime as dt
import hashlib
import hmac
import json

import pytest

from bookings.services import booking_transition
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from gigsta.tasks import retry_delay
from gigsta.tests.helpers import tasks_due, tasks_failed, tasks_run
from webhooks.models import Delivery
from webhooks.services import (
    DELIVERY_ATTEMPTS,
    DELIVERY_MAX_DELAY,
    delivery_redeliver,
    secret_of,
    subscription_create,
)
from webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the receiver listens on loopback
    with Receiver() as receiver:
        yield receiver


def verify(secret: str, headers: dict, body: str) -> bool:
    """What a partner does with the GigSta-Signature header."""
    parts = dict(part.split("=", 1) for part in headers["GigSta-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.{body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_providers_webhook_gets_each_change_of_its_bookings_signed(receiver, client_user, provider):
    subscription, secret = subscription_create(owner=provider, url=receiver.url, events=["booking.*"])
    service = make_service(provider)
    booking = make_booking(client=client_user, service=service, to_state="confirmed")  # runs the queue

    types = [json.loads(body)["type"] for _, body in receiver.received]
    assert types == ["booking.request", "booking.accept", "booking.mark_paid"]
    for headers, body in receiver.received:
        assert verify(secret, headers, body) and headers["Content-Type"] == "application/json"
        assert headers["GigSta-Delivery"] == json.loads(body)["id"]
    last = json.loads(receiver.received[-1][1])["data"]["booking"]
    assert last["id"] == str(booking.public_id) and last["state"] == "confirmed"
    assert [a["action_name"] for a in last["actions"]] == ["cancel", "reschedule"]  # what the provider may do now
    assert secret == secret_of(subscription) and secret not in json.dumps(list(Delivery.objects.values()), default=str)


def test_only_the_events_asked_for_and_only_the_subscribers_bookings(receiver, client_user, provider, stranger):
    subscription_create(owner=client_user, url=receiver.url, events=["booking.accept"])
    subscription_create(owner=stranger, url=receiver.url, events=["booking.*"])
    make_booking(client=client_user, service=make_service(provider), to_state="confirmed")
    assert [json.loads(body)["type"] for _, body in receiver.received] == ["booking.accept"]
    assert json.loads(receiver.received[0][1])["data"]["booking"]["actions"][0]["action_name"] == "withdraw"


def test_a_subscriber_down_for_an_hour_gets_every_event_once_it_is_back(receiver, client_user, provider):
    subscription, secret = subscription_create(owner=provider, url=receiver.url, events=["booking.*"])
    receiver.status = 503
    booking = make_booking(client=client_user, service=make_service(provider), to_state="accepted")
    booking_transition(booking=booking, action="mark_paid", actor=provider)
    elapsed = dt.timedelta(0)
    while elapsed < dt.timedelta(hours=1):  # the worker keeps trying while the receiver is down
        step = dt.timedelta(minutes=10)
        elapsed += step
        tasks_run(later=elapsed)
    assert {t.task_name for t in tasks_failed()} == {"delivery_send"}
    tried = [json.loads(body)["id"] for _, body in receiver.received]
    assert len(set(tried)) == 3 and len(tried) > 3  # three events, each tried several times

    receiver.status = 200
    receiver.received.clear()
    tasks_run(later=dt.timedelta(hours=5))  # the next attempts (at most 4 hours apart)

    delivered = {json.loads(body)["id"]: json.loads(body)["type"] for _, body in receiver.received}
    assert sorted(delivered.values()) == ["booking.accept", "booking.mark_paid", "booking.request"]
    assert all(verify(secret, headers, body) for headers, body in receiver.received)
    log = list(subscription.deliveries.all())
    assert all(d.delivered_at and d.status_code == 200 and d.attempts > 1 and d.next_attempt_at is None for d in log)
    assert tasks_run(later=dt.timedelta(days=3)) == 0  # nothing is sent twice


def test_deliveries_are_retried_for_a_day_then_left_in_the_log(receiver, client_user, provider):
    subscription, _ = subscription_create(owner=client_user, url=receiver.url, events=["booking.request"])
    receiver.status = 500
    make_booking(client=client_user, service=make_service(provider))
    for _ in range(DELIVERY_ATTEMPTS):
        tasks_run(later=dt.timedelta(days=2))
    span = sum((retry_delay(n, DELIVERY_MAX_DELAY) for n in range(1, DELIVERY_ATTEMPTS)), dt.timedelta())
    assert dt.timedelta(hours=24) <= span < dt.timedelta(hours=30)
    [delivery] = subscription.deliveries.all()
    assert (delivery.attempts, delivery.status_code, delivery.delivered_at) == (DELIVERY_ATTEMPTS, 500, None)
    assert delivery.next_attempt_at is None and len(receiver.received) == DELIVERY_ATTEMPTS

    receiver.status = 200
    delivery_redeliver(delivery=delivery, actor=client_user)
    tasks_run()
    delivery.refresh_from_db()
    assert delivery.delivered_at and delivery.status_code == 200
    assert len({json.loads(body)["id"] for _, body in receiver.received}) == 1  # the same event id throughout


def test_private_addresses_are_not_reached_unless_allowed(settings, client_user, provider):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with Receiver() as receiver:
        subscription, _ = subscription_create(owner=provider, url=receiver.url, events=["booking.*"])
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
        make_booking(client=client_user, service=make_service(provider))
        assert receiver.received == []
    [delivery] = subscription.deliveries.all()
    assert delivery.error == "The address is not public: not sent." and delivery.next_attempt_at is None
    assert tasks_failed() == []  # refused for good, not retried


def test_a_webhook_deleted_with_deliveries_pending_leaves_nothing_failing(receiver, client_user, provider):
    subscription, _ = subscription_create(owner=provider, url=receiver.url, events=["booking.*"])
    receiver.status = 503
    make_booking(client=client_user, service=make_service(provider))
    subscription.delete()
    assert tasks_run(later=dt.timedelta(days=2)) >= 1
    assert tasks_due(later=dt.timedelta(days=30)).count() == 0
    assert {t.task_name for t in tasks_failed()} == {"delivery_send"} and len(tasks_failed()) == 1  # only the first


def test_deploy_check_asks_for_a_signing_key_of_its_own(settings):
    from webhooks.apps import check_signing_key

    settings.WEBHOOK_SIGNING_KEY = settings.SECRET_KEY
    assert [w.id for w in check_signing_key()] == ["webhooks.W001"]
    settings.WEBHOOK_SIGNING_KEY = "another-random-key"
    assert check_signing_key() == []


def test_a_new_message_reaches_the_parties_subscribed_to_it(receiver, client_user, provider, stranger):
    from bookings.services import message_create
    from bookings.tests.files import pdf

    _, secret = subscription_create(owner=provider, url=receiver.url, events=["message.*"])
    subscription_create(owner=client_user, url=receiver.url, events=["booking.*"])  # not messages
    subscription_create(owner=stranger, url=receiver.url, events=["message.created"])  # not a party
    booking = make_booking(client=client_user, service=make_service(provider))
    receiver.received.clear()
    message = message_create(booking=booking, author=client_user, body="Here is the plan", files=[pdf()])
    tasks_run()
    [(headers, body)] = receiver.received
    event = json.loads(body)
    assert event["type"] == headers["GigSta-Event"] == "message.created" and verify(secret, headers, body)
    assert event["data"]["booking"]["id"] == str(booking.public_id)
    assert event["data"]["booking"]["actions"][0]["action_name"] == "accept"  # as the provider sees it
    sent = event["data"]["message"]
    assert sent["id"] == str(message.public_id) and sent["body"] == "Here is the plan"
    assert sent["author"]["id"] == str(client_user.public_id)
    assert [a["name"] for a in sent["attachments"]] == ["quote.pdf"]


def test_a_message_that_is_refused_delivers_nothing(receiver, client_user, provider):
    from django.core.exceptions import ValidationError

    from bookings.services import message_create

    subscription_create(owner=provider, url=receiver.url, events=["message.created"])
    booking = make_booking(client=client_user, service=make_service(provider))
    with pytest.raises(ValidationError):
        message_create(booking=booking, author=client_user, body="  ")
    tasks_run()
    assert receiver.received == [] and not Delivery.objects.exists()
