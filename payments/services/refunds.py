"""Refunds: decided inside the booking change that gives them (by the action's refund rule in
the effects table), sent to Stripe by a task queued with that change (retried while Stripe is
down), or marked sent by the provider for bank transfers (payments.services.manual)."""

import logging
import uuid

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from bookings.effects import refund_rule
from bookings.models import Booking, BookingEvent
from bookings.state_machine import PaymentMethod
from bookings.terms import refund_of
from catalog.templatetags.catalog_tags import money
from gigsta.tasks import outbound
from payments import stripe_gateway
from payments.errors import RefundTooLarge
from payments.models import Payment, PaymentEvent
from payments.selectors import totals_of
from payments.services.ledger import Kind, ledger_append, ledger_of

log = logging.getLogger(__name__)


def refund_record(
    *, payment: Payment, amount_minor: int, note: str, booking_event: BookingEvent | None = None, actor=None
) -> PaymentEvent:
    """Decide a refund of part of one payment. Refuses more than what remains refundable.
    Call inside a transaction holding the booking's lock."""
    totals = totals_of(PaymentEvent.objects.filter(payment=payment)).get(payment.pk)
    refundable = totals.refundable if totals else 0
    if amount_minor <= 0:
        raise RefundTooLarge("A refund must be more than nothing.")
    if amount_minor > refundable:
        raise RefundTooLarge(
            f"Cannot refund {amount_minor / 100:.2f} {payment.currency}: only {refundable / 100:.2f} remains "
            "refundable on this payment."
        )
    return ledger_append(
        payment,
        Kind.REFUND_DUE,
        of=uuid.uuid4(),  # a payment may be refunded in several parts
        amount_minor=amount_minor,
        booking_event=booking_event,
        actor=actor,
        note=note,
    )


def refunds_record(booking: Booking, event: BookingEvent) -> None:
    """In the transition of an action with a refund rule (cancel, resolve_refund…): record the
    refunds the rule gives, newest payment first. Sending is after commit (`refunds_send`)."""
    rule = refund_rule(
        event.action,
        event.from_state,
        booking,
        by_client=event.actor_id == booking.client_id,
        now=event.created_at,
        asked_minor=event.amount_minor,
    )
    if rule is None:
        return
    totals = totals_of(ledger_of(booking))
    refundable = sum(t.refundable for t in totals.values())
    if rule.amount_minor is not None and rule.amount_minor > refundable:
        # Raised inside the booking's transaction: the change and its event roll back with it.
        raise RefundTooLarge(
            f"Refund at most {money(refundable, booking.currency)}: that is what remains of what the client paid.",
            "refund_too_large",
        )
    remaining = rule.amount_minor if rule.amount_minor is not None else refund_of(refundable, rule.percent)
    for payment in Payment.objects.filter(pk__in=totals.keys()).order_by("-created_at", "-pk"):
        share = min(remaining, totals[payment.pk].refundable)
        if share > 0:
            refund_record(payment=payment, amount_minor=share, note=rule.reason, booking_event=event)
            remaining -= share


@outbound
def refunds_send(booking_id: int, event_id: int) -> None:
    """Task: send the card refunds a booking change decided. Raises (and is retried) while
    Stripe cannot take one of them; those sent already are not sent again."""
    dues = PaymentEvent.objects.filter(booking_event_id=event_id, kind=Kind.REFUND_DUE).select_related("payment")
    failures = []
    for due in dues:  # one refund Stripe refuses does not hold up the others
        try:
            refund_send(due)
        except stripe_gateway.GatewayError as exc:
            failures.append(exc)
    if failures:
        raise failures[0]


@outbound
def refund_send_one(refund_due_id: int) -> None:
    """Task: send one card refund (a payment that arrived after the booking moved on)."""
    refund_send(PaymentEvent.objects.select_related("payment").get(pk=refund_due_id, kind=Kind.REFUND_DUE))


def refund_send(due: PaymentEvent) -> PaymentEvent | None:
    """Send one card refund to Stripe and record it, with the email to the client. Safe to
    repeat: Stripe's idempotency key returns the same refund, and the ledger's unique key
    records it once. Raises GatewayError while Stripe cannot be reached (the task retries)."""
    payment = due.payment
    if payment.method != PaymentMethod.STRIPE or PaymentEvent.objects.filter(settles=due).exists():
        return None
    # Refunds after a transfer reverse it first (GigSta's balance pays the refund).
    from payments.services.payouts import payout_claw_back  # payouts builds on the ledger refunds write

    payout_claw_back(due)
    refund_id = stripe_gateway.refund_create(
        idempotency_key=f"refund-{due.public_id}",
        payment_intent=payment.payment_intent,
        amount_minor=due.amount_minor,
        metadata={"payment_id": str(payment.public_id), "refund_due_id": str(due.public_id)},
    )
    with transaction.atomic():
        refunded, created = refunded_record(due, provider_reference=refund_id, note="Refunded to the card")
        if created:
            refund_notify_sent(payment.booking, due.amount_minor, PaymentMethod.STRIPE)
    return refunded


def refunded_record(
    due: PaymentEvent, *, provider_reference: str = "", note: str, actor=None
) -> tuple[PaymentEvent, bool]:
    """The `refunded` line settling `due`, and whether this call wrote it."""
    try:
        with transaction.atomic():
            entry = ledger_append(
                due.payment,
                Kind.REFUNDED,
                of=due.public_id,
                amount_minor=due.amount_minor,
                provider_reference=provider_reference,
                settles=due,
                actor=actor,
                note=note,
            )
        return entry, True
    except IntegrityError:  # recorded by a concurrent sender, or a second click
        return PaymentEvent.objects.get(idempotency_key=f"{Kind.REFUNDED}:{due.public_id}"), False


def refund_notify_sent(booking: Booking, amount_minor: int, method: str) -> None:
    """Tell the client their money is on its way back: an email queued in the caller's transaction."""
    context = {
        "booking": booking,
        "amount_minor": amount_minor,
        "method": method,
        "link": settings.SITE_URL + reverse("bookings:detail", args=[booking.public_id]),
    }
    send_mail(
        subject=f"[GigSta] Your refund for {booking.service.title}",
        message=render_to_string("payments/email/refund_sent.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[booking.client.email],
    )
