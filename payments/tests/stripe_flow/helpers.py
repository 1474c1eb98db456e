"""What the card payment tests read back: the rows a checkout or a webhook wrote, the ledger,
the booking's actions, and the requests that reached FakeStripe."""

from bookings.models import Booking, BookingEvent
from payments.models import Payment, PaymentEvent, WebhookEvent

PRICE = 150000  # 1,500.00 EUR
SITE = "https://gigsta.test"
Kind = PaymentEvent.Kind


def counts() -> dict[str, int]:
    """Rows of everything a checkout or a webhook may write."""
    return {model.__name__: model.objects.count() for model in (Payment, PaymentEvent, WebhookEvent, BookingEvent)}


def ledger(booking: Booking, kind: str | None = None) -> list[PaymentEvent]:
    entries = PaymentEvent.objects.filter(payment__booking=booking).order_by("created_at", "pk")
    return list(entries.filter(kind=kind) if kind else entries)


def actions(booking: Booking) -> list[str]:
    return list(booking.events.order_by("created_at", "pk").values_list("action", flat=True))


def net_paid(booking: Booking) -> int:
    """Captured minus refunds decided: what the client has paid and keeps paid."""
    return sum(e.amount_minor for e in ledger(booking, Kind.CAPTURED)) - sum(
        e.amount_minor for e in ledger(booking, Kind.REFUND_DUE)
    )


def posts(fake, path: str) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == path]


def intent_of(fake, payment: Payment) -> str:
    return fake.sessions[payment.provider_reference]["payment_intent"]
