"""The ledger: one way to append a line, and the sums the other services decide by."""

import uuid

from bookings.models import Booking
from bookings.terms import platform_fee
from payments.models import Payment, PaymentEvent
from payments.selectors import totals_of

Kind = PaymentEvent.Kind


def ledger_append(payment: Payment, kind: str, *, of: uuid.UUID | None = None, **fields) -> PaymentEvent:
    """Append one line. Its idempotency key names the fact it records, "<kind>:<what about>":
    the payment itself unless `of` names something else (the refund a `refunded` line
    settles). The key is unique, so the same fact is never recorded twice."""
    return PaymentEvent.objects.create(
        payment=payment, kind=kind, idempotency_key=f"{kind}:{of or payment.public_id}", **fields
    )


def lock_booking(booking_id: int) -> Booking:
    """Lock the booking row only: the joined users and service stay free, so a checkout waiting on
    Stripe does not hold up the provider's other bookings, logins or listing edits."""
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("service", "client", "provider")
        .get(pk=booking_id)
    )


def ledger_of(booking: Booking) -> list[PaymentEvent]:
    return list(PaymentEvent.objects.filter(payment__booking=booking).order_by("created_at", "pk"))


def kept_of(booking: Booking) -> int:
    """What the client has paid and keeps paid: captured less refunds decided. A payment refunded
    because it did not fit (a second tab) must not count towards the price."""
    return sum(t.refundable for t in totals_of(ledger_of(booking)).values())


def payment_new(booking: Booking, *, kind: str, method: str, amount_minor: int, paid_before: int, **fields) -> Payment:
    """An unsaved payment of `amount_minor` towards the booking, with its share of the fee."""
    return Payment(
        booking=booking,
        kind=kind,
        method=method,
        amount_minor=amount_minor,
        currency=booking.currency,
        fee_minor=fee_of(booking, paid_before, amount_minor),
        **fields,
    )


def fee_of(booking: Booking, paid_before: int, amount_minor: int) -> int:
    """The fee on one payment: the fee on everything paid with it less the fee on what was paid
    before, so a deposit's and a balance's fees add up to the fee on the price (rounding each
    on its own can be a cent off)."""
    return platform_fee(paid_before + amount_minor, booking.fee_bps) - platform_fee(paid_before, booking.fee_bps)
