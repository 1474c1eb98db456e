"""Stripe's events: verified, applied at most once, and refused whole when they do not fit."""

import logging
import uuid

from django.db import IntegrityError, transaction

from bookings.models import Booking, BookingEvent
from bookings.services import booking_transition
from bookings.state_machine import ActionName, State
from payments import stripe_gateway
from payments.errors import WebhookRejected
from payments.models import Payment, WebhookEvent
from payments.services.chargebacks import chargeback_close, chargeback_open, dashboard_refunds_record
from payments.services.checkout import payment_close_unpaid
from payments.services.connect import payout_account_event_apply
from payments.services.ledger import Kind, kept_of, ledger_append, lock_booking
from payments.services.refunds import refund_record, refund_send_one

log = logging.getLogger(__name__)

# Connect: about a provider's Express account (the envelope's `account` names it).
ACCOUNT_EVENTS = {"account.updated", "account.application.deauthorized"}
# About a charge GigSta made (found by its PaymentIntent): chargebacks and dashboard refunds.
CHARGE_EVENTS = {
    "charge.dispute.created": chargeback_open,
    "charge.dispute.closed": chargeback_close,
    "charge.refunded": dashboard_refunds_record,
}
PAID_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded", "payment_intent.succeeded"}
# A declined card (payment_intent.payment_failed) is not here: the Checkout Session stays
# open for another card, so only the session's own end closes a payment.
UNPAID_EVENTS = {
    "checkout.session.expired": Payment.Status.EXPIRED,
    "checkout.session.async_payment_failed": Payment.Status.FAILED,
}


class NotOurs(Exception):
    """An event about a payment GigSta did not start (another integration on the same Stripe
    account): acknowledged and ignored, so Stripe does not retry it for days."""


def stripe_event_handle(payload: bytes, signature: str) -> str:
    """Verify and apply one Stripe event, at most once. Returns what happened, for the log and
    the response. Raises WebhookRejected (nothing written) for a bad signature, an event for
    a payment we do not know, or an amount that does not match the payment."""
    try:
        event = stripe_gateway.event_verify(payload, signature)
    except ValueError as exc:
        raise WebhookRejected(str(exc), "bad_signature") from exc
    event_id, event_type, obj = _event_parts(event)
    if event_type in ACCOUNT_EVENTS:
        return _account_event_handle(event, event_id, event_type, obj)
    if event_type in CHARGE_EVENTS:
        return _charge_event_handle(event_id, event_type, obj)
    if event_type not in PAID_EVENTS and event_type not in UNPAID_EVENTS:
        return "ignored"  # acknowledged so Stripe stops sending it; nothing to do
    if WebhookEvent.objects.filter(event_id=event_id).exists():
        return "duplicate"  # a retry of an event processed before: one indexed read, nothing written
    with transaction.atomic():
        # The unique event id is the guard against two deliveries of one event at the same moment.
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(event_id=event_id, type=event_type, outcome="processing")
        except IntegrityError:
            return "duplicate"  # being processed right now by a concurrent delivery
        try:
            payment = _payment_for(obj)
        except NotOurs:
            transaction.set_rollback(True)  # keep no record: nothing of ours happened
            return "ignored: not a GigSta payment"
        if event_type in PAID_EVENTS:
            outcome = _payment_apply_paid(payment, obj, event_id)
        else:
            outcome = payment_close_unpaid(payment, UNPAID_EVENTS[event_type])
        record.payment, record.outcome = payment, outcome
        record.save(update_fields=["payment", "outcome"])
    log.info("stripe event %s %s: %s", event_type, event_id, outcome)
    return outcome


def _once(event_id: str, event_type: str, apply) -> str:
    """Apply one event at most once: its id's unique row is written first, in the transaction of
    what `apply` writes. `apply()` returns (outcome, payment or None); an outcome starting with
    "ignored" keeps nothing, not even the row (nothing of ours happened)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(event_id=event_id, type=event_type, outcome="processing")
        except IntegrityError:
            return "duplicate"
        outcome, payment = apply()
        if outcome.startswith("ignored"):
            transaction.set_rollback(True)
            return outcome
        record.payment, record.outcome = payment, outcome
        record.save(update_fields=["payment", "outcome"])
    log.info("stripe event %s %s: %s", event_type, event_id, outcome)
    return outcome


def _account_event_handle(event: dict, event_id: str, event_type: str, obj: dict) -> str:
    """A provider's account changed at Stripe: its status follows, once per event. An account
    GigSta did not create is acknowledged and ignored (nothing recorded)."""
    account_id = event.get("account") or (obj.get("id") if obj.get("object") == "account" else None)
    created = event.get("created", 0)
    if not _is_text(account_id) or not isinstance(created, int):
        raise WebhookRejected("A Connect event names no account.", "malformed_event")
    return _once(
        event_id,
        event_type,
        lambda: (
            payout_account_event_apply(event_type=event_type, account_id=account_id, obj=obj, created=created),
            None,
        ),
    )


def _charge_event_handle(event_id: str, event_type: str, obj: dict) -> str:
    """A chargeback or a refund at Stripe about one of our card payments, once per event. A
    charge GigSta did not make is acknowledged and ignored."""
    intent = obj.get("payment_intent")
    if not _is_text(intent) or not _is_text(obj.get("id")):
        raise WebhookRejected("The event's object names no payment intent.", "malformed_event")

    def apply():
        payment = Payment.objects.filter(payment_intent=intent).first()
        if payment is None:
            return "ignored: not a GigSta payment", None
        return CHARGE_EVENTS[event_type](payment=payment, obj=obj), payment

    return _once(event_id, event_type, apply)


def _is_text(value, max_length: int = 255) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_length and "\x00" not in value


def _event_parts(event: dict) -> tuple[str, str, dict]:
    """The id, type and object of a signed event, when it has the shape Stripe gives every event;
    WebhookRejected otherwise (a signed event of another shape is a bug or a leaked secret)."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not (_is_text(event.get("id")) and _is_text(event.get("type"), 100) and isinstance(obj, dict)):
        raise WebhookRejected("The event has no id, type or data.object of the expected kinds.", "malformed_event")
    metadata = obj.get("metadata")
    if not (metadata is None or isinstance(metadata, dict)):
        raise WebhookRejected("The event's metadata is not an object.", "malformed_event")
    for name in ("id", "payment_intent"):
        if obj.get(name) is not None and not _is_text(obj[name]):
            raise WebhookRejected(f"The event's object has a malformed {name}.", "malformed_event")
    return event["id"], event["type"], obj


def _payment_for(obj: dict) -> Payment:
    """The payment a Checkout Session or PaymentIntent belongs to, by our own id in its metadata,
    cross-checked against the session id we stored."""
    payment_id = (obj.get("metadata") or {}).get("payment_id", "")
    if not payment_id:
        raise NotOurs()
    if not _is_text(payment_id, 64):
        raise WebhookRejected("The event's metadata.payment_id is not a payment id.", "malformed_event")
    try:
        payment = Payment.objects.get(public_id=uuid.UUID(payment_id))
    except (ValueError, Payment.DoesNotExist):
        raise WebhookRejected(
            f"No payment matches {obj.get('object', 'object')} {obj.get('id', '?')}.", "unknown_payment"
        ) from None
    if obj.get("object") == "checkout.session" and obj.get("id") != payment.provider_reference:
        raise WebhookRejected(
            f"Checkout session {obj.get('id')} is not the one opened for this payment.", "unknown_payment"
        )
    return payment


def _paid_amount(payment: Payment, obj: dict, event_id: str) -> tuple[int, str] | None:
    """What a paid event says was paid and its PaymentIntent; None while a session still clears."""
    if obj.get("object") == "checkout.session":
        if obj.get("payment_status") != "paid":
            return None
        amount, intent = obj.get("amount_total"), obj.get("payment_intent") or ""
    else:
        amount, intent = obj.get("amount_received") or obj.get("amount"), obj.get("id", "")
    if amount != payment.amount_minor or str(obj.get("currency", "")).upper() != payment.currency:
        log.error("stripe event %s: paid amount does not match payment %s", event_id, payment.public_id)
        raise WebhookRejected(
            f"Paid {amount} {obj.get('currency')}, but payment {payment.public_id} is for "
            f"{payment.amount_minor} {payment.currency}.",
            "amount_mismatch",
        )
    return amount, intent


def _payment_apply_paid(payment: Payment, obj: dict, event_id: str) -> str:
    paid = _paid_amount(payment, obj, event_id)
    if paid is None:
        return "checkout completed; waiting for the payment to clear"
    booking = lock_booking(payment.booking_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == Payment.Status.SUCCEEDED:
        return "already captured"  # the other event of the pair arrived first
    paid_before = kept_of(booking)
    payment.status, payment.payment_intent, payment.checkout_url = Payment.Status.SUCCEEDED, paid[1], ""
    payment.save(update_fields=["status", "payment_intent", "checkout_url", "updated_at"])
    fits = _fits(booking, payment, paid_before)
    booking_event = None
    if fits:
        action = ActionName.CONFIRM_DEPOSIT if payment.kind == Payment.Kind.DEPOSIT else ActionName.CONFIRM_PAYMENT
        booking, booking_event = booking_transition(
            booking=booking, action=action, actor=None, source=BookingEvent.Source.SYSTEM
        )
    ledger_append(
        payment,
        Kind.CAPTURED,
        amount_minor=payment.amount_minor,
        provider_reference=event_id,
        booking_event=booking_event,
        note=f"{payment.get_kind_display()} paid by card",
    )
    if fits:
        return f"captured; {booking_event.action}"
    due = refund_record(
        payment=payment,
        amount_minor=payment.amount_minor,
        note="Paid after the booking had moved on (closed or already paid): everything back",
    )
    refund_send_one.enqueue(due.pk)
    return f"captured, but the booking is {booking.state}: refunded"


def _fits(booking: Booking, payment: Payment, paid_before: int) -> bool:
    """Whether this payment is what the booking still waits for; anything else (a second tab
    paying twice, a payment after the booking expired) is refunded, so money matches state."""
    if payment.kind == Payment.Kind.BALANCE:
        return booking.state == State.DEPOSIT_PAID and paid_before + payment.amount_minor == booking.price_minor
    return booking.state == State.ACCEPTED and paid_before == 0
