"""Card payments through Stripe Checkout: open one for what is due now, close the ones nobody
should pay any more."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from bookings.models import Booking
from bookings.services import booking_context
from bookings.state_machine import ActionName, PaymentMethod, State, get_transition
from bookings.terms import amounts_due
from gigsta.tasks import outbound
from payments import stripe_gateway
from payments.errors import AmountChanged, GatewayUnavailable, PaymentError
from payments.models import Payment
from payments.services.ledger import Kind, kept_of, ledger_append, lock_booking, payment_new

# Stripe keeps a Checkout Session open from 30 minutes to 24 hours; ours close at the payment
# deadline within those limits. A session closing this soon is not offered again.
CHECKOUT_MIN_OPEN = dt.timedelta(minutes=31)
CHECKOUT_MAX_OPEN = dt.timedelta(hours=23, minutes=55)
CHECKOUT_REUSE_MARGIN = dt.timedelta(minutes=10)


def _checkout_deadline(booking: Booking, kind: str, ctx) -> dt.datetime:
    """When this checkout should stop taking money: the end of the payment window (the expire
    timer), the gig, or for a deposit the balance due date, within Stripe's limits."""
    deadlines = [ctx.now + CHECKOUT_MAX_OPEN, booking.starts_at]
    if booking.state == State.ACCEPTED:
        deadlines.append(booking.updated_at + ctx.pay_within)
    if kind == Payment.Kind.DEPOSIT:
        deadlines.append(booking.balance_due_at)
    return max(min(deadlines), ctx.now + CHECKOUT_MIN_OPEN)


def _due(booking: Booking, kind: str, paid: int, expected_amount_minor: int | None, now: dt.datetime) -> int:
    """The amount of `kind` the client may pay now, checked against what they were shown."""
    options = {due.kind: due for due in amounts_due(booking, paid, now)}
    due = options.get(kind)
    if due is None:
        choices = ", ".join(options) or "nothing"
        raise PaymentError(f"“{kind}” cannot be paid now; you can pay: {choices}.", "not_due")
    if expected_amount_minor is not None and expected_amount_minor != due.amount_minor:
        raise AmountChanged(
            f"The amount due is {due.amount_minor / 100:.2f} {booking.currency}, not "
            f"{expected_amount_minor / 100:.2f}. Please check it and pay again."
        )
    return due.amount_minor


def checkout_start(*, booking: Booking, client: User, kind: str, expected_amount_minor: int | None = None) -> Payment:
    """Open (or reopen) a Stripe Checkout for what the client may pay now. Raises
    TransitionNotAllowed when paying is not possible (not the client, already paid, manual
    booking), PaymentError / AmountChanged for a kind or amount that is not due, and
    GatewayUnavailable when Stripe cannot be reached (nothing is written then)."""
    ctx = booking_context()
    with transaction.atomic():
        locked = lock_booking(booking.pk)
        get_transition(locked, client, ActionName.PAY, ctx)
        paid = kept_of(locked)
        amount = _due(locked, kind, paid, expected_amount_minor, ctx.now)
        reusable = (
            locked.payments.filter(
                status=Payment.Status.PENDING,
                kind=kind,
                amount_minor=amount,
                checkout_expires_at__gt=ctx.now + CHECKOUT_REUSE_MARGIN,
            )
            .exclude(checkout_url="")
            .last()
        )
        if reusable is not None:
            return reusable  # a double click or a second tab: the same checkout
        payment = payment_new(
            locked,
            kind=kind,
            method=PaymentMethod.STRIPE,
            amount_minor=amount,
            paid_before=paid,
            status=Payment.Status.PENDING,
        )
        payment.idempotency_key = f"checkout-{payment.public_id}"
        payment.checkout_expires_at = _checkout_deadline(locked, kind, ctx)
        payment.provider_reference, payment.checkout_url = _session_open(locked, payment)
        payment.save()
        ledger_append(
            payment,
            Kind.CHECKOUT_STARTED,
            amount_minor=payment.amount_minor,
            provider_reference=payment.provider_reference,
            actor=client,
            note="Card checkout opened",
        )
    return payment


def _session_open(booking: Booking, payment: Payment) -> tuple[str, str]:
    """A Checkout Session at Stripe for this (not yet saved) payment: its id and URL."""
    try:
        return stripe_gateway.checkout_session_create(
            idempotency_key=payment.idempotency_key,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            description=f"{booking.service.title}: {payment.get_kind_display().lower()}",
            metadata={"payment_id": str(payment.public_id), "booking_id": str(booking.public_id)},
            success_url=settings.SITE_URL + reverse("payments:checkout_success", args=[payment.public_id]),
            cancel_url=settings.SITE_URL + reverse("payments:checkout_cancel", args=[payment.public_id]),
            customer_email=booking.client.email,
            expires_at=int(payment.checkout_expires_at.timestamp()),
        )
    except stripe_gateway.GatewayError as exc:
        raise GatewayUnavailable(
            "Card payments are unavailable right now; nothing was charged. Please try again in a few minutes."
        ) from exc


@outbound
def checkouts_close(booking_id: int, event_id: int) -> None:
    """Task, when a booking stops waiting for a payment (paid, withdrawn, expired, cancelled):
    close its other open card checkouts, so a forgotten tab cannot take money that would only
    have to be refunded (and Stripe keeps its fee on refunds). Retried while Stripe cannot be
    reached; meanwhile the session still ends at its deadline, and a late payment is refunded."""
    pending = Payment.objects.filter(booking_id=booking_id, status=Payment.Status.PENDING, method=PaymentMethod.STRIPE)
    failures = []
    for payment in pending:  # one session Stripe cannot close does not hold up the others
        try:
            closed = stripe_gateway.checkout_session_expire(payment.provider_reference)
        except stripe_gateway.GatewayError as exc:
            failures.append(exc)
            continue
        if closed:
            with transaction.atomic():
                payment_close_unpaid(payment, Payment.Status.EXPIRED)
    if failures:
        raise failures[0]


def payment_close_unpaid(payment: Payment, status: str) -> str:
    """A pending card payment's checkout ended without money (expired, failed)."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != Payment.Status.PENDING:
        return f"ignored: payment already {payment.status}"  # e.g. an expiry arriving after the payment
    payment.status, payment.checkout_url = status, ""
    payment.save(update_fields=["status", "checkout_url", "updated_at"])
    ledger_append(
        payment,
        Kind.FAILED,
        note="Card checkout expired unpaid" if status == Payment.Status.EXPIRED else "Card payment failed",
    )
    return f"payment {status}"
