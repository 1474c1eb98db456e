"""The data migration that gives bookings paid before payments were tracked their payment."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("payments", "0003_checkout_expiry"), ("bookings", "0003_booking_terms")]
AFTER = [("payments", "0004_record_earlier_payments")]


@pytest.mark.django_db(transaction=True)
def test_earlier_paid_bookings_get_their_payment_and_policy():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("accounts", "User")
    Category = apps.get_model("catalog", "Category")
    Service = apps.get_model("catalog", "Service")
    Booking = apps.get_model("bookings", "Booking")
    client = User.objects.create(email="c@example.com", display_name="C", role="client")
    provider = User.objects.create(email="p@example.com", display_name="P", role="provider")
    service = Service.objects.create(
        provider=provider,
        category=Category.objects.get_or_create(slug="live-music", defaults={"name": "Live music"})[0],
        title="Band",
        price_minor=80000,
        currency="EUR",
        duration_minutes=120,
        city="Berlin",
        latitude=52.5,
        longitude=13.4,
    )
    start = timezone.now() + dt.timedelta(days=20)
    common = {"service": service, "client": client, "provider": provider, "starts_at": start, "venue": "Hall"}
    common.update(ends_at=start + dt.timedelta(hours=2), price_minor=80000, currency="EUR", cancellation_policy=[])
    confirmed = Booking.objects.create(state="confirmed", **common)
    requested = Booking.objects.create(state="requested", **common)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Payment = apps.get_model("payments", "Payment")
    PaymentEvent = apps.get_model("payments", "PaymentEvent")
    Booking = apps.get_model("bookings", "Booking")

    [payment] = Payment.objects.filter(booking_id=confirmed.pk)
    assert (payment.kind, payment.method, payment.amount_minor, payment.fee_minor) == ("full", "manual", 80000, 0)
    [captured] = PaymentEvent.objects.filter(payment=payment)
    assert (captured.kind, captured.amount_minor) == ("captured", 80000)
    assert not Payment.objects.filter(booking_id=requested.pk).exists()  # nothing was paid on it
    assert Booking.objects.get(pk=confirmed.pk).cancellation_policy == [[14, 100], [7, 50], [0, 0]]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the other tests expect it
