"""Manual payments: the provider says the money arrived, or that a refund went back."""

from django.db import transaction

from accounts.models import User
from bookings.models import Booking, BookingEvent
from bookings.state_machine import ActionName, PaymentMethod
from bookings.terms import deposit_amount
from payments.errors import PaymentError
from payments.models import Payment, PaymentEvent
from payments.services.ledger import Kind, kept_of, ledger_append, lock_booking, payment_new
from payments.services.refunds import refund_notify_sent, refunded_record


def manual_payment_record(booking: Booking, event: BookingEvent) -> None:
    """On mark_deposit_paid / mark_paid: the deposit, or whatever remains of the price, arrived
    by bank transfer or cash. Runs inside the booking's transition."""
    paid = kept_of(booking)
    if event.action == ActionName.MARK_DEPOSIT_PAID:
        kind, amount = Payment.Kind.DEPOSIT, deposit_amount(booking)
    else:
        kind, amount = (Payment.Kind.BALANCE if paid else Payment.Kind.FULL), booking.price_minor - paid
    if amount <= 0:
        return
    payment = payment_new(
        booking,
        kind=kind,
        method=PaymentMethod.MANUAL,
        amount_minor=amount,
        paid_before=paid,
        status=Payment.Status.SUCCEEDED,
        idempotency_key=f"manual:{booking.public_id}:{event.pk}",
    )
    payment.save()
    ledger_append(
        payment,
        Kind.CAPTURED,
        amount_minor=amount,
        booking_event=event,
        actor=event.actor,
        note=f"{payment.get_kind_display()} received by bank transfer or cash",
    )


def manual_refund_mark_sent(*, due: PaymentEvent, actor: User) -> list[PaymentEvent]:
    """The provider returned a bank-transfer or cash refund to the client. One cancellation
    may refund several payments (deposit and balance): the client gets one transfer, so the
    provider marks them sent together."""
    if due.payment.method != PaymentMethod.MANUAL:
        raise PaymentError("Card refunds are sent automatically.", "not_manual")
    if due.payment.booking.provider_id != actor.pk:
        raise PaymentError("Only the provider who was paid can mark a refund as sent.", "not_your_refund")
    with transaction.atomic():
        lock_booking(due.payment.booking_id)
        together = [due]
        if due.booking_event_id is not None:
            together = PaymentEvent.objects.filter(
                booking_event_id=due.booking_event_id, kind=Kind.REFUND_DUE, payment__method=PaymentMethod.MANUAL
            ).select_related("payment")
        note = "Refund sent by the provider (bank transfer or cash)"
        recorded = [refunded_record(d, actor=actor, note=note) for d in together]
        sent_now = sum(entry.amount_minor for entry, created in recorded if created)
        if sent_now:  # one transfer, one email
            refund_notify_sent(due.payment.booking, sent_now, PaymentMethod.MANUAL)
        return [entry for entry, _ in recorded]
