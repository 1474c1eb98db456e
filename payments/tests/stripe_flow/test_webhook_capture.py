"""Stripe's webhooks capturing a payment: once, however often and in whatever order the events
arrive; nothing written for a bad signature, an unknown payment or an amount that does not match."""

import copy
import json
import time
import uuid

import pytest

from bookings.models import Booking, BookingEvent
from bookings.state_machine import State
from payments.models import Payment, WebhookEvent
from payments.tests.fake_stripe import SESSIONS
from payments.tests.stripe_flow.helpers import PRICE, Kind, actions, counts, intent_of, ledger

pytestmark = pytest.mark.django_db


def test_one_event_replayed_100_times_captures_once(fake_stripe, book, checkout, deliver):
    booking = book()
    payment = checkout(booking, "full")
    completed, _ = fake_stripe.complete(payment.provider_reference)

    responses = [deliver(completed) for _ in range(100)]

    assert [r.status_code for r in responses] == [200] * 100
    outcomes = [r.json()["outcome"] for r in responses]
    assert outcomes == ["captured; confirm_payment"] + ["duplicate"] * 99
    [captured] = ledger(booking, Kind.CAPTURED)
    assert (captured.amount_minor, captured.provider_reference) == (PRICE, completed["id"])
    assert actions(booking).count("confirm_payment") == 1
    assert BookingEvent.objects.get(booking=booking, action="confirm_payment").actor is None
    booking.refresh_from_db()
    assert booking.state == State.CONFIRMED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.payment_intent == intent_of(fake_stripe, payment)
    assert payment.checkout_url == ""
    [record] = WebhookEvent.objects.all()
    assert (record.event_id, record.payment, record.outcome) == (completed["id"], payment, "captured; confirm_payment")
    assert fake_stripe.refunds == {}


@pytest.mark.parametrize("order", ["session_first", "intent_first"])
def test_both_events_of_a_payment_capture_once_in_either_order(fake_stripe, book, checkout, deliver, order):
    booking = book()
    payment = checkout(booking, "full")
    events = fake_stripe.complete(payment.provider_reference)
    if order == "intent_first":
        events.reverse()

    outcomes = [deliver(event).json()["outcome"] for event in events]

    assert outcomes == ["captured; confirm_payment", "already captured"]
    assert len(ledger(booking, Kind.CAPTURED)) == 1
    assert actions(booking) == ["request", "accept", "confirm_payment"]
    assert WebhookEvent.objects.count() == 2
    payment.refresh_from_db()
    assert payment.payment_intent == intent_of(fake_stripe, payment)
    assert Booking.objects.get(pk=booking.pk).state == State.CONFIRMED


def test_a_late_expiry_after_the_payment_is_harmless(fake_stripe, book, checkout, deliver):
    booking = book()
    payment = checkout(booking, "full")
    completed, _ = fake_stripe.complete(payment.provider_reference)
    deliver(completed)
    expired = fake_stripe.event(
        "checkout.session.expired", {**completed["data"]["object"], "status": "expired", "payment_status": "unpaid"}
    )

    response = deliver(expired)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored: payment already succeeded"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert ledger(booking, Kind.FAILED) == []
    assert len(ledger(booking, Kind.CAPTURED)) == 1
    assert Booking.objects.get(pk=booking.pk).state == State.CONFIRMED


def test_an_expired_checkout_lets_the_client_start_a_new_one(fake_stripe, book, checkout, pay, deliver):
    booking = book()
    first = checkout(booking, "full")

    response = deliver(fake_stripe.expire(first.provider_reference))

    assert (response.status_code, response.json()["outcome"]) == (200, "payment expired")
    first.refresh_from_db()
    assert (first.status, first.checkout_url) == (Payment.Status.EXPIRED, "")
    [failed] = ledger(booking, Kind.FAILED)
    assert (failed.payment, failed.amount_minor) == (first, 0)
    booking.refresh_from_db()
    assert booking.state == State.ACCEPTED

    second = pay(booking, "full")

    assert second.pk != first.pk and second.provider_reference != first.provider_reference
    assert fake_stripe.creations[SESSIONS] == 2
    assert second.status == Payment.Status.SUCCEEDED
    assert Booking.objects.get(pk=booking.pk).state == State.CONFIRMED


def test_an_unknown_event_type_is_acknowledged_and_ignored(fake_stripe, book, checkout, deliver):
    booking = book()
    payment = checkout(booking, "full")
    before = counts()
    event = fake_stripe.event("charge.updated", {"id": "ch_x", "metadata": {"payment_id": str(payment.public_id)}})

    response = deliver(event)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "ignored"}
    assert counts() == before


def _tamper(event: dict) -> dict:
    tampered = copy.deepcopy(event)
    tampered["data"]["object"]["amount_total"] = 1
    return tampered


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda fake, event: {"signature": "t=1700000000,v1=" + "0" * 64}, id="forged"),
        pytest.param(lambda fake, event: {"secret": "whsec_someone_else"}, id="wrong_secret"),
        pytest.param(lambda fake, event: {"signature": ""}, id="missing"),
        pytest.param(lambda fake, event: {"signature": "garbage"}, id="garbage"),
        pytest.param(lambda fake, event: {"signature": "t=abc,v1=def"}, id="bad_timestamp"),
        pytest.param(
            lambda fake, event: {"signature": fake.sign(json.dumps(event), timestamp=int(time.time()) - 3600)},
            id="stale",
        ),
        pytest.param(lambda fake, event: {"signature": fake.sign(json.dumps(_tamper(event)))}, id="tampered"),
    ],
)
def test_a_bad_signature_is_rejected_and_nothing_is_written(fake_stripe, book, checkout, deliver, forge):
    booking = book()
    payment = checkout(booking, "full")
    completed, _ = fake_stripe.complete(payment.provider_reference)
    before = counts()

    response = deliver(completed, **forge(fake_stripe, completed))

    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    assert counts() == before
    assert Booking.objects.get(pk=booking.pk).state == State.ACCEPTED


def test_a_signed_body_that_is_not_json_is_rejected(fake_stripe, client):
    before = counts()
    body = "not json"

    response = client.post(
        "/payments/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=fake_stripe.sign(body)
    )

    assert (response.status_code, response.json()["code"]) == (400, "bad_signature")
    assert counts() == before


def _unknown_session(fake, payment, completed, intent):
    return fake.event("checkout.session.completed", {**completed, "id": "cs_test_someone_else"})


def _unknown_payment_id(fake, payment, completed, intent):
    return fake.event("checkout.session.completed", {**completed, "metadata": {"payment_id": str(uuid.uuid4())}})


def _no_metadata(fake, payment, completed, intent):
    return fake.event("checkout.session.completed", {**completed, "metadata": {}})


def _not_a_uuid(fake, payment, completed, intent):
    return fake.event("checkout.session.completed", {**completed, "metadata": {"payment_id": "12"}})


def _unknown_intent_payment(fake, payment, completed, intent):
    return fake.event("payment_intent.succeeded", {**intent, "metadata": {"payment_id": str(uuid.uuid4())}})


def _unknown_expiry(fake, payment, completed, intent):
    return fake.event("checkout.session.expired", {**completed, "id": "cs_test_other", "metadata": {}})


@pytest.mark.parametrize(
    "build",
    [_unknown_session, _unknown_payment_id, _not_a_uuid, _unknown_intent_payment],
)
def test_an_event_for_an_unknown_payment_is_rejected_and_nothing_is_written(
    fake_stripe, book, checkout, deliver, build
):
    booking = book()
    payment = checkout(booking, "full")
    completed, succeeded = fake_stripe.complete(payment.provider_reference)
    event = build(fake_stripe, payment, completed["data"]["object"], succeeded["data"]["object"])
    before = counts()

    response = deliver(event)

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_payment"
    assert counts() == before
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING

    assert deliver(completed).json()["outcome"] == "captured; confirm_payment"  # the genuine event still applies


@pytest.mark.parametrize("build", [_no_metadata, _unknown_expiry])
def test_an_event_about_someone_elses_payment_is_acknowledged_and_ignored(fake_stripe, book, checkout, deliver, build):
    """Another integration on the same Stripe account: no payment_id of ours. A 400 would make
    Stripe retry it for days and could get the endpoint switched off."""
    booking = book()
    payment = checkout(booking, "full")
    completed, succeeded = fake_stripe.complete(payment.provider_reference)
    before = counts()

    response = deliver(build(fake_stripe, payment, completed["data"]["object"], succeeded["data"]["object"]))

    assert (response.status_code, response.json()["outcome"]) == (200, "ignored: not a GigSta payment")
    assert counts() == before


@pytest.mark.parametrize(
    ("event_type", "changes"),
    [
        ("checkout.session.completed", {"amount_total": PRICE - 100}),
        ("checkout.session.completed", {"amount_total": PRICE + 100}),
        ("checkout.session.completed", {"currency": "usd"}),
        ("payment_intent.succeeded", {"amount": 100, "amount_received": 100}),
    ],
)
def test_a_paid_amount_that_does_not_match_is_rejected_and_nothing_is_written(
    fake_stripe, book, checkout, deliver, event_type, changes
):
    booking = book()
    payment = checkout(booking, "full")
    completed, succeeded = fake_stripe.complete(payment.provider_reference)
    genuine = completed if event_type == "checkout.session.completed" else succeeded
    event = fake_stripe.event(event_type, {**genuine["data"]["object"], **changes})
    before = counts()

    response = deliver(event)

    assert response.status_code == 400
    assert response.json()["code"] == "amount_mismatch"
    assert counts() == before
    assert Booking.objects.get(pk=booking.pk).state == State.ACCEPTED
    payment.refresh_from_db()
    assert (payment.status, payment.payment_intent) == (Payment.Status.PENDING, "")
