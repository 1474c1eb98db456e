"""Bookings confirmed before payments were recorded: the provider marked them paid by bank
transfer or cash, so they get that payment in the ledger, and the cancellation policy that
applied then, so cancelling or refunding them moves the right amount."""

from django.db import migrations

PAID_STATES = ["confirmed", "completed", "disputed"]
POLICY_THEN = [[14, 100], [7, 50], [0, 0]]


def record(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    Payment = apps.get_model("payments", "Payment")
    PaymentEvent = apps.get_model("payments", "PaymentEvent")
    Booking.objects.filter(cancellation_policy=[]).update(cancellation_policy=POLICY_THEN)
    for booking in Booking.objects.filter(state__in=PAID_STATES, payments__isnull=True).iterator():
        payment = Payment.objects.create(
            booking=booking,
            kind="full",
            method="manual",
            amount_minor=booking.price_minor,
            currency=booking.currency,
            fee_minor=0,  # no fee was agreed before fees were recorded (fee_bps is 0)
            status="succeeded",
            idempotency_key=f"earlier:{booking.public_id}",
        )
        PaymentEvent.objects.create(
            payment=payment,
            kind="captured",
            amount_minor=booking.price_minor,
            idempotency_key=f"captured:{payment.public_id}",
            note="Paid by bank transfer or cash (recorded before payments were tracked)",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_checkout_expiry"),
        ("bookings", "0003_booking_terms"),
    ]

    operations = [migrations.RunPython(record, migrations.RunPython.noop, elidable=True)]
