"""Writes for money. The ledger (PaymentEvent) changes only here, always in the same
transaction as the booking change it belongs to. Stripe is called in two ways: opening a
checkout happens inside the transaction that holds the booking's row lock, before the
payment row is written, so a Stripe failure rolls everything back; refunds and closing
checkouts happen after commit with idempotency keys, and the timers retry them. A failure
never leaves money and bookings disagreeing."""

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, BookingEvent
from bookings.services import booking_context, booking_transition
from bookings.state_machine import PaymentMethod, State, get_transition
from payments import stripe_gateway
from payments.models import Payment, PaymentEvent, WebhookEvent
from payments.policy import amounts_due, deposit_amount, platform_fee, refund_of, refund_rule
from payments.selectors import totals_of

log = logging.getLogger(__name__)
Kind = PaymentEvent.Kind

# Stripe keeps a Checkout Session open from 30 minutes to 24 hours; ours close at the payment
# deadline within those limits. A session closing this soon is not offered again.
CHECKOUT_MIN_OPEN = dt.timedelta(minutes=31)
CHECKOUT_MAX_OPEN = dt.timedelta(hours=23, minutes=55)
CHECKOUT_REUSE_MARGIN = dt.timedelta(minutes=10)


class PaymentError(Exception):
    """A payment request that cannot be done; `code` is stable for the API."""

    code = "payment_not_possible"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class AmountChanged(PaymentError):
    code = "amount_changed"


class RefundTooLarge(PaymentError):
    code = "refund_too_large"


class GatewayUnavailable(PaymentError):
    code = "payment_provider_unavailable"


class WebhookRejected(Exception):
    """The webhook cannot be applied (bad signature, no such payment, wrong amount): nothing is written."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _lock_booking(booking_id: int) -> Booking:
    """Lock the booking row only: the joined users and service stay free, so a checkout waiting on
    Stripe does not hold up the provider's other bookings, logins or listing edits."""
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("service", "client", "provider")
        .get(pk=booking_id)
    )


def _ledger(booking: Booking) -> list[PaymentEvent]:
    return list(PaymentEvent.objects.filter(payment__booking=booking).order_by("created_at", "pk"))


def _fee(booking: Booking, paid_before: int, amount_minor: int) -> int:
    """The fee on one payment: the fee on everything paid with it less the fee on what was paid
    before, so a deposit's and a balance's fees add up to the fee on the price (rounding each
    on its own can be a cent off)."""
    return platform_fee(paid_before + amount_minor, booking.fee_bps) - platform_fee(paid_before, booking.fee_bps)


def _kept(booking: Booking) -> int:
    """What the client has paid and keeps paid: captured less refunds decided. A payment refunded
    because it did not fit (a second tab) must not count towards the price."""
    return sum(t.refundable for t in totals_of(_ledger(booking)).values())


# --- Manual payments: the provider says the money arrived ----------------------------------


def record_manual_payment(booking: Booking, event: BookingEvent) -> None:
    """On mark_deposit_paid / mark_paid: the deposit, or whatever remains of the price, arrived
    by bank transfer or cash. Runs inside the booking's transition."""
    paid = _kept(booking)
    if event.action == "mark_deposit_paid":
        kind, amount = Payment.Kind.DEPOSIT, deposit_amount(booking)
    else:
        kind, amount = (Payment.Kind.BALANCE if paid else Payment.Kind.FULL), booking.price_minor - paid
    if amount <= 0:
        return
    payment = Payment.objects.create(
        booking=booking,
        kind=kind,
        method=PaymentMethod.MANUAL,
        amount_minor=amount,
        currency=booking.currency,
        fee_minor=_fee(booking, paid, amount),
        status=Payment.Status.SUCCEEDED,
        idempotency_key=f"manual:{booking.public_id}:{event.pk}",
    )
    PaymentEvent.objects.create(
        payment=payment,
        kind=Kind.CAPTURED,
        amount_minor=amount,
        idempotency_key=f"captured:{payment.public_id}",
        booking_event=event,
        actor=event.actor,
        note=f"{payment.get_kind_display()} received by bank transfer or cash",
    )


# --- Refunds ---------------------------------------------------------------------------------


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
    return PaymentEvent.objects.create(
        payment=payment,
        kind=Kind.REFUND_DUE,
        amount_minor=amount_minor,
        idempotency_key=f"refund_due:{uuid.uuid4()}",
        booking_event=booking_event,
        actor=actor,
        note=note,
    )


def record_refunds(booking: Booking, event: BookingEvent) -> None:
    """On a transition that returns money (cancel, resolve_refund…): record the refunds the
    policy gives, newest payment first. Runs inside the transition; sending is after commit."""
    rule = refund_rule(
        event.action, event.from_state, booking, by_client=event.actor_id == booking.client_id, now=event.created_at
    )
    if rule is None:
        return
    entries = _ledger(booking)
    totals = totals_of(entries)
    kept = sum(t.refundable for t in totals.values())
    remaining = refund_of(kept, rule.percent)
    payments = Payment.objects.filter(pk__in=totals.keys()).order_by("-created_at", "-pk")
    for payment in payments:
        share = min(remaining, totals[payment.pk].refundable)
        if share > 0:
            refund_record(payment=payment, amount_minor=share, note=rule.reason, booking_event=event)
            remaining -= share


def send_refunds(booking: Booking, event: BookingEvent) -> None:
    """After commit: send the card refunds this booking change decided."""
    for due in PaymentEvent.objects.filter(booking_event=event, kind=Kind.REFUND_DUE).select_related("payment"):
        refund_send(due)


def refund_send(due: PaymentEvent) -> PaymentEvent | None:
    """Send one card refund to Stripe and record it. Safe to repeat: Stripe's idempotency key
    returns the same refund, and the ledger's unique key records it once. A Stripe outage
    leaves the refund due; the timers retry it."""
    payment = due.payment
    if payment.method != PaymentMethod.STRIPE or hasattr(due, "settled_by"):
        return None
    try:
        refund_id = stripe_gateway.refund_create(
            idempotency_key=f"refund-{due.public_id}",
            payment_intent=payment.payment_intent,
            amount_minor=due.amount_minor,
            metadata={"payment_id": str(payment.public_id), "refund_due_id": str(due.public_id)},
        )
    except stripe_gateway.GatewayError as exc:
        log.error("card refund %s of payment %s still due: %s", due.public_id, payment.public_id, exc)
        return None
    refunded, created = _record_refunded(due, provider_reference=refund_id, note="Refunded to the card")
    if created:
        transaction.on_commit(lambda: notify_refund_sent(payment.booking, due.amount_minor, PaymentMethod.STRIPE))
    return refunded


def _record_refunded(
    due: PaymentEvent, *, provider_reference: str = "", note: str, actor=None
) -> tuple[PaymentEvent, bool]:
    """The `refunded` row settling `due`, and whether this call wrote it."""
    try:
        with transaction.atomic():
            entry = PaymentEvent.objects.create(
                payment=due.payment,
                kind=Kind.REFUNDED,
                amount_minor=due.amount_minor,
                provider_reference=provider_reference,
                idempotency_key=f"refunded:{due.public_id}",
                settles=due,
                actor=actor,
                note=note,
            )
        return entry, True
    except IntegrityError:  # recorded by a concurrent sender, or a second click
        return PaymentEvent.objects.get(idempotency_key=f"refunded:{due.public_id}"), False


# Card refunds are retried for this long: less than the 24 hours Stripe remembers an
# idempotency key, so a retry can never send a refund twice. Later they need a person (Stripe
# refuses them for good: the charge was disputed, the card closed): they stay due in the
# ledger (admin: Payment events, kind "Refund due") and every timer run logs them as errors.
REFUND_RETRY_WINDOW = dt.timedelta(hours=20)


def refunds_retry(older_than_seconds: int = 60) -> int:
    """Timer: send card refunds still due (Stripe was down). Returns how many were sent."""
    now = timezone.now()
    unsent = PaymentEvent.objects.filter(
        kind=Kind.REFUND_DUE, payment__method=PaymentMethod.STRIPE, settled_by__isnull=True
    ).select_related("payment")
    for stuck in unsent.filter(created_at__lt=now - REFUND_RETRY_WINDOW):
        log.error(
            "card refund %s of payment %s (%s minor units) unsent since %s: refund it by hand in Stripe",
            stuck.public_id,
            stuck.payment.public_id,
            stuck.amount_minor,
            stuck.created_at.isoformat(),
        )
    waiting = unsent.filter(
        created_at__lte=now - dt.timedelta(seconds=older_than_seconds), created_at__gte=now - REFUND_RETRY_WINDOW
    )
    return sum(1 for due in waiting if refund_send(due) is not None)


def manual_refund_sent(*, due: PaymentEvent, actor: User) -> list[PaymentEvent]:
    """The provider returned a bank-transfer or cash refund to the client. One cancellation
    may refund several payments (deposit and balance): the client gets one transfer, so the
    provider marks them sent together."""
    if due.payment.method != PaymentMethod.MANUAL:
        raise PaymentError("Card refunds are sent automatically.", "not_manual")
    if due.payment.booking.provider_id != actor.pk:
        raise PaymentError("Only the provider who was paid can mark a refund as sent.", "not_your_refund")
    with transaction.atomic():
        _lock_booking(due.payment.booking_id)
        together = [due]
        if due.booking_event_id is not None:
            together = PaymentEvent.objects.filter(
                booking_event_id=due.booking_event_id, kind=Kind.REFUND_DUE, payment__method=PaymentMethod.MANUAL
            ).select_related("payment")
        note = "Refund sent by the provider (bank transfer or cash)"
        recorded = [_record_refunded(d, actor=actor, note=note) for d in together]
        sent_now = sum(entry.amount_minor for entry, created in recorded if created)
        if sent_now:  # one transfer, one email
            booking = due.payment.booking
            transaction.on_commit(lambda: notify_refund_sent(booking, sent_now, PaymentMethod.MANUAL))
        return [entry for entry, _ in recorded]


def notify_refund_sent(booking: Booking, amount_minor: int, method: str) -> None:
    """Tell the client their money is on its way back."""
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


# --- Card payments: Stripe Checkout ------------------------------------------------------------


def _checkout_deadline(booking: Booking, kind: str, ctx) -> dt.datetime:
    """When this checkout should stop taking money: the end of the payment window (the expire
    timer), the gig, or for a deposit the balance due date, within Stripe's limits."""
    deadlines = [ctx.now + CHECKOUT_MAX_OPEN, booking.starts_at]
    if booking.state == State.ACCEPTED:
        deadlines.append(booking.updated_at + ctx.pay_within)
    if kind == Payment.Kind.DEPOSIT:
        deadlines.append(booking.balance_due_at)
    return max(min(deadlines), ctx.now + CHECKOUT_MIN_OPEN)


def checkout_start(*, booking: Booking, client: User, kind: str, expected_amount_minor: int | None = None) -> Payment:
    """Open (or reopen) a Stripe Checkout for what the client may pay now. Raises
    TransitionNotAllowed when paying is not possible (not the client, already paid, manual
    booking), PaymentError / AmountChanged for a kind or amount that is not due, and
    GatewayUnavailable when Stripe cannot be reached (nothing is written then)."""
    ctx = booking_context()
    with transaction.atomic():
        locked = _lock_booking(booking.pk)
        get_transition(locked, client, "pay", ctx)
        paid = _kept(locked)
        options = {due.kind: due for due in amounts_due(locked, paid, ctx.now)}
        due = options.get(kind)
        if due is None:
            choices = ", ".join(options) or "nothing"
            raise PaymentError(f"“{kind}” cannot be paid now; you can pay: {choices}.", "not_due")
        if expected_amount_minor is not None and expected_amount_minor != due.amount_minor:
            raise AmountChanged(
                f"The amount due is {due.amount_minor / 100:.2f} {locked.currency}, not "
                f"{expected_amount_minor / 100:.2f}. Please check it and pay again."
            )
        reusable = (
            locked.payments.filter(
                status=Payment.Status.PENDING,
                kind=kind,
                amount_minor=due.amount_minor,
                checkout_expires_at__gt=ctx.now + CHECKOUT_REUSE_MARGIN,
            )
            .exclude(checkout_url="")
            .last()
        )
        if reusable is not None:
            return reusable  # a double click or a second tab: the same checkout
        payment = Payment(
            booking=locked,
            kind=kind,
            method=PaymentMethod.STRIPE,
            amount_minor=due.amount_minor,
            currency=locked.currency,
            fee_minor=_fee(locked, paid, due.amount_minor),
            status=Payment.Status.PENDING,
        )
        payment.idempotency_key = f"checkout-{payment.public_id}"
        payment.checkout_expires_at = _checkout_deadline(locked, kind, ctx)
        try:
            session_id, url = stripe_gateway.checkout_session_create(
                idempotency_key=payment.idempotency_key,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                description=f"{locked.service.title}: {payment.get_kind_display().lower()}",
                metadata={"payment_id": str(payment.public_id), "booking_id": str(locked.public_id)},
                success_url=settings.SITE_URL + reverse("payments:checkout_success", args=[payment.public_id]),
                cancel_url=settings.SITE_URL + reverse("payments:checkout_cancel", args=[payment.public_id]),
                customer_email=locked.client.email,
                expires_at=int(payment.checkout_expires_at.timestamp()),
            )
        except stripe_gateway.GatewayError as exc:
            raise GatewayUnavailable(
                "Card payments are unavailable right now; nothing was charged. Please try again in a few minutes."
            ) from exc
        payment.provider_reference, payment.checkout_url = session_id, url
        payment.save()
        PaymentEvent.objects.create(
            payment=payment,
            kind=Kind.CHECKOUT_STARTED,
            amount_minor=payment.amount_minor,
            provider_reference=session_id,
            idempotency_key=f"checkout_started:{payment.public_id}",
            actor=client,
            note="Card checkout opened",
        )
    return payment


def checkouts_close(booking: Booking, event: BookingEvent) -> None:
    """After commit, when a booking stops waiting for a payment (paid, withdrawn, expired,
    cancelled): close its other open card checkouts, so a forgotten tab cannot take money that
    would only have to be refunded (and Stripe keeps its fee on refunds). If Stripe cannot be
    reached, the session still ends at its deadline, and a late payment is refunded."""
    for payment in booking.payments.filter(status=Payment.Status.PENDING, method=PaymentMethod.STRIPE):
        try:
            closed = stripe_gateway.checkout_session_expire(payment.provider_reference)
        except stripe_gateway.GatewayError:
            continue
        if closed:
            with transaction.atomic():
                _apply_unpaid(payment, Payment.Status.EXPIRED)


# --- Stripe webhooks ---------------------------------------------------------------------------

PAID_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded", "payment_intent.succeeded"}
# A declined card (payment_intent.payment_failed) is not here: the Checkout Session stays
# open for another card, so only the session's own end closes a payment.
UNPAID_EVENTS = {
    "checkout.session.expired": Payment.Status.EXPIRED,
    "checkout.session.async_payment_failed": Payment.Status.FAILED,
}


def stripe_event_handle(payload: bytes, signature: str) -> str:
    """Verify and apply one Stripe event, at most once. Returns what happened, for the log and
    the response. Raises WebhookRejected (nothing written) for a bad signature, an event for
    a payment we do not know, or an amount that does not match the payment."""
    try:
        event = stripe_gateway.event_verify(payload, signature)
    except ValueError as exc:
        raise WebhookRejected(str(exc), "bad_signature") from exc
    event_type, obj = event.get("type", ""), event.get("data", {}).get("object", {})
    if event_type not in PAID_EVENTS and event_type not in UNPAID_EVENTS:
        return "ignored"  # acknowledged so Stripe stops sending it; nothing to do
    if WebhookEvent.objects.filter(event_id=event["id"]).exists():
        return "duplicate"  # a retry of an event processed before: one indexed read, nothing written
    with transaction.atomic():
        # The unique event id is the guard against two deliveries of one event at the same moment.
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(event_id=event["id"], type=event_type, outcome="processing")
        except IntegrityError:
            return "duplicate"  # being processed right now by a concurrent delivery
        try:
            payment = _payment_for(obj)
        except NotOurs:
            transaction.set_rollback(True)  # keep no record: nothing of ours happened
            return "ignored: not a GigSta payment"
        if event_type in PAID_EVENTS:
            outcome = _apply_paid(payment, obj, event_type, event["id"])
        else:
            outcome = _apply_unpaid(payment, UNPAID_EVENTS[event_type])
        record.payment, record.outcome = payment, outcome
        record.save(update_fields=["payment", "outcome"])
    log.info("stripe event %s %s: %s", event_type, event["id"], outcome)
    return outcome


class NotOurs(Exception):
    """An event about a payment GigSta did not start (another integration on the same Stripe
    account): acknowledged and ignored, so Stripe does not retry it for days."""


def _payment_for(obj: dict) -> Payment:
    """The payment a Checkout Session or PaymentIntent belongs to, by our own id in its metadata,
    cross-checked against the session id we stored."""
    payment_id = (obj.get("metadata") or {}).get("payment_id", "")
    if not payment_id:
        raise NotOurs()
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


def _apply_paid(payment: Payment, obj: dict, event_type: str, event_id: str) -> str:
    if obj.get("object") == "checkout.session":
        if obj.get("payment_status") != "paid":
            return "checkout completed; waiting for the payment to clear"
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
    booking = _lock_booking(payment.booking_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == Payment.Status.SUCCEEDED:
        return "already captured"  # the other event of the pair arrived first
    paid_before = _kept(booking)
    payment.status, payment.payment_intent, payment.checkout_url = Payment.Status.SUCCEEDED, intent, ""
    payment.save(update_fields=["status", "payment_intent", "checkout_url", "updated_at"])
    fits = _fits(booking, payment, paid_before)
    booking_event = None
    if fits:
        action = "confirm_deposit" if payment.kind == Payment.Kind.DEPOSIT else "confirm_payment"
        booking = booking_transition(booking=booking, action=action, actor=None, source=BookingEvent.Source.SYSTEM)
        booking_event = booking.events.order_by("-created_at", "-pk").first()
    PaymentEvent.objects.create(
        payment=payment,
        kind=Kind.CAPTURED,
        amount_minor=payment.amount_minor,
        provider_reference=event_id,
        idempotency_key=f"captured:{payment.public_id}",
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
    transaction.on_commit(lambda: refund_send(due))
    return f"captured, but the booking is {booking.state}: refunded"


def _fits(booking: Booking, payment: Payment, paid_before: int) -> bool:
    """Whether this payment is what the booking still waits for; anything else (a second tab
    paying twice, a payment after the booking expired) is refunded, so money matches state."""
    if payment.kind == Payment.Kind.BALANCE:
        return booking.state == State.DEPOSIT_PAID and paid_before + payment.amount_minor == booking.price_minor
    return booking.state == State.ACCEPTED and paid_before == 0


def _apply_unpaid(payment: Payment, status: str) -> str:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != Payment.Status.PENDING:
        return f"ignored: payment already {payment.status}"  # e.g. an expiry arriving after the payment
    payment.status, payment.checkout_url = status, ""
    payment.save(update_fields=["status", "checkout_url", "updated_at"])
    PaymentEvent.objects.create(
        payment=payment,
        kind=Kind.FAILED,
        idempotency_key=f"failed:{payment.public_id}",
        note="Card checkout expired unpaid" if status == Payment.Status.EXPIRED else "Card payment failed",
    )
    return f"payment {status}"
