"""Signed events that do not have the shape of Stripe's events: refused with 400 and logged,
nothing written, the booking unchanged."""

import copy
import logging

import pytest

from bookings.state_machine import State
from payments.models import Payment, WebhookEvent
from payments.tests.stripe_flow.helpers import actions, counts

pytestmark = pytest.mark.django_db


def _no_id(event):
    del event["id"]


def _data_a_string(event):
    event["data"] = "checkout.session"


def _metadata_a_string(event):
    event["data"]["object"]["metadata"] = "payment_id"


def _nul_in_the_id(event):
    event["id"] = "evt_\x00x"


def _payment_id_a_number(event):
    event["data"]["object"]["metadata"]["payment_id"] = 12


def _object_a_list(event):
    event["data"]["object"] = ["checkout.session"]


def _payment_intent_an_object(event):
    event["data"]["object"]["payment_intent"] = {"id": "pi_1"}


@pytest.mark.parametrize(
    "spoil",
    [
        _no_id,
        _data_a_string,
        _metadata_a_string,
        _nul_in_the_id,
        _payment_id_a_number,
        _object_a_list,
        _payment_intent_an_object,
    ],
)
def test_a_signed_but_malformed_event_is_400_logged_and_writes_nothing(
    fake_stripe, book, checkout, deliver, caplog, spoil
):
    booking = book()
    payment = checkout(booking, "full")
    completed, _ = fake_stripe.complete(payment.provider_reference)
    event = copy.deepcopy(completed)
    spoil(event)
    before = counts()

    with caplog.at_level(logging.WARNING, logger="payments.views"):
        response = deliver(event)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"
    assert any("malformed_event" in record.getMessage() for record in caplog.records)
    assert counts() == before
    assert not WebhookEvent.objects.exists()
    booking.refresh_from_db()
    assert booking.state == State.ACCEPTED
    assert actions(booking) == ["request", "accept"]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
