"""Stripe delivering one payment's events several times at the same moment, on the real
PostgreSQL server: one capture, one confirmation.

Runs where DATABASE_URL points at PostgreSQL (CI's second pass); SQLite serialises writers,
which says nothing about the unique key and row locks this relies on.
"""

import importlib
import json
import threading

import pytest
from django.apps import apps
from django.db import connection

from accounts.tests.factories import make_user
from bookings.models import Booking
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from payments.models import PaymentEvent, WebhookEvent
from payments.services.checkout import checkout_start
from payments.services.webhooks import stripe_event_handle
from payments.tests.conftest import connect_provider

DELIVERIES = 8

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent deliveries are tested on PostgreSQL"),
]


def test_simultaneous_deliveries_capture_once(fake_stripe):
    # Transactional tests flush the database, categories included: put them back.
    importlib.import_module("catalog.migrations.0002_default_categories").add_categories(apps, None)
    provider = make_user("band@example.com", "Band", role="provider")
    connect_provider(fake_stripe, provider)  # card bookings are for providers GigSta can pay out
    client = make_user("client@example.com", "Client")
    booking = make_booking(client=client, service=make_service(provider), to_state="accepted")
    payment = checkout_start(booking=booking, client=client, kind="full")
    completed, succeeded = fake_stripe.complete(payment.provider_reference)
    # Half the deliveries repeat one event, the other half its twin: the same payment twice over.
    payloads = [json.dumps(completed if i % 2 else succeeded) for i in range(DELIVERIES)]
    barrier = threading.Barrier(DELIVERIES)
    outcomes: list[str] = []

    def deliver(payload: str) -> None:
        try:
            barrier.wait()
            outcomes.append(stripe_event_handle(payload.encode(), fake_stripe.sign(payload)))
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=deliver, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert len(outcomes) == DELIVERIES
    assert set(outcomes) <= {"captured; confirm_payment", "already captured", "duplicate"}, outcomes
    assert outcomes.count("captured; confirm_payment") == 1
    assert PaymentEvent.objects.filter(payment=payment, kind="captured").count() == 1
    assert Booking.objects.get(pk=booking.pk).state == "confirmed"
    assert list(Booking.objects.get(pk=booking.pk).events.values_list("action", flat=True)) == [
        "request", "accept", "confirm_payment"
    ]  # fmt: skip
    assert WebhookEvent.objects.count() == 2  # each event recorded once
