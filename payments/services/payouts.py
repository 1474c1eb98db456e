"""Hold and release: card money is charged to GigSta's own Stripe balance (separate charges and
transfers) and stays there until the gig is over and the dispute window has closed
(bookings.state_machine.payout_release_at). Then, once per card payment, the provider's share
(what the client keeps paid less GigSta's fee) is a `payout_due` line written by the timers and
a Stripe transfer sent by the `payout_send` task, recorded as `paid_out`.

Nothing is paid twice: the ledger's unique keys name each payout and each reversal, and every
Stripe call carries an idempotency key per booking and purpose. A chargeback freezes the payout
(payments.services.disputes); a refund of money already paid out first takes the provider's
part back with a transfer reversal (`payout_claw_back`).

A service may pay its deposit out before the gig (Booking.deposit_paid_early, copied from the
service when requested): then the deposit payment's `payout_due` is written as soon as it is
captured (`deposit_release`, also from the timers) and the payout after the dispute window pays
only the rest. Each payment is paid out once; the shares of `payout_shares` add up to the fee on
the whole, so the deposit's and the rest's payouts together are what one payout would have been.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from bookings.models import Booking
from bookings.state_machine import DISPUTE_WINDOW, PaymentMethod, State, payout_release_at
from gigsta.tasks import outbound
from payments import stripe_gateway
from payments.models import Payment, PaymentEvent, PayoutAccount
from payments.selectors import DEPOSIT_EARLY_STATES, chargeback_open, totals_of
from payments.services.ledger import Kind, fee_of, ledger_append, ledger_of, lock_booking

log = logging.getLogger(__name__)

# What the provider keeps of these goes out: a completed gig, and a cancelled or expired booking
# whose policy let them keep part of the money (a late cancellation, a deposit kept).
PAYOUT_STATES = (State.COMPLETED, State.CANCELLED, State.EXPIRED)


def payout_shares(booking: Booking) -> list[tuple[Payment, int]]:
    """Per card payment still kept (captured less refunds decided), oldest first, the provider's
    share of it: the kept amount less its part of the fee. The parts add up to the fee on all
    that is kept (payments.services.ledger.fee_of), so the payouts equal `Money.payout`."""
    totals = totals_of(ledger_of(booking))
    shares, before = [], 0
    payments = Payment.objects.filter(pk__in=totals.keys(), method=PaymentMethod.STRIPE).order_by("created_at", "pk")
    for payment in payments:
        kept = totals[payment.pk].refundable
        if kept > 0:
            shares.append((payment, kept - fee_of(booking, before, kept)))
            before += kept
    return shares


def _undecided_payments():
    """Card payments taken whose payout is not decided yet (a deposit paid out early is)."""
    taken = PaymentEvent.objects.filter(payment=OuterRef("pk"), kind=Kind.CAPTURED)
    decided = PaymentEvent.objects.filter(payment=OuterRef("pk"), kind=Kind.PAYOUT_DUE)
    return Payment.objects.filter(method=PaymentMethod.STRIPE).filter(Exists(taken)).exclude(Exists(decided))


def payouts_due_candidates(now: dt.datetime):
    """Card bookings whose payout may be due: past the dispute window, in a state that pays out,
    with a payment whose payout is not decided yet. A candidate only: `payout_release` re-checks
    under the lock."""
    return (
        Booking.objects.filter(
            state__in=PAYOUT_STATES, payment_method=PaymentMethod.STRIPE, ends_at__lte=now - DISPUTE_WINDOW
        )
        .filter(Exists(_undecided_payments().filter(booking=OuterRef("pk"))))
        .order_by("pk")
    )


def deposits_due_candidates():
    """Card bookings whose terms pay the deposit out early, holding, with a deposit taken whose
    payout is not decided yet. A candidate only: `deposit_release` re-checks under the lock."""
    deposits = _undecided_payments().filter(booking=OuterRef("pk"), kind=Payment.Kind.DEPOSIT)
    return (
        Booking.objects.filter(
            deposit_paid_early=True, state__in=DEPOSIT_EARLY_STATES, payment_method=PaymentMethod.STRIPE
        )
        .filter(Exists(deposits))
        .order_by("pk")
    )


def payouts_release(*, now: dt.datetime) -> int:
    """Timers: decide the payouts that are due now and queue their transfers. Returns how many."""
    early = sum(len(deposit_release(booking=b)) for b in deposits_due_candidates())
    return early + sum(len(payout_release(booking=b, now=now)) for b in payouts_due_candidates(now))


def deposit_release(*, booking: Booking) -> list[PaymentEvent]:
    """Write the `payout_due` line of a deposit the booking's terms pay out before the gig and
    queue its transfer, under the booking's lock. Nothing while a chargeback is open, once the
    booking left the holding states, or when the deposit's payout is decided already."""
    with transaction.atomic():
        booking = lock_booking(booking.pk)
        if not booking.deposit_paid_early or booking.payment_method != PaymentMethod.STRIPE:
            return []
        if booking.state not in DEPOSIT_EARLY_STATES or chargeback_open(ledger_of(booking)):
            return []
        shares = [(p, share) for p, share in payout_shares(booking) if p.kind == Payment.Kind.DEPOSIT]
        return _payouts_write(shares, note="Payout of the deposit before the gig, as the service's terms say")


def payout_release(*, booking: Booking, now: dt.datetime) -> list[PaymentEvent]:
    """Write the `payout_due` lines of one booking and queue their transfers, in one transaction
    holding the booking's lock. Nothing while a chargeback is open or before the release date."""
    with transaction.atomic():
        booking = lock_booking(booking.pk)
        if booking.state not in PAYOUT_STATES or booking.payment_method != PaymentMethod.STRIPE:
            return []
        if now < payout_release_at(booking) or chargeback_open(ledger_of(booking)):
            return []
        return _payouts_write(payout_shares(booking), note="Payout of the {kind} after the dispute window")


def _payouts_write(shares: list[tuple[Payment, int]], *, note: str) -> list[PaymentEvent]:
    """The `payout_due` lines of the payments not paid out yet, each queued for its transfer.
    Call holding the booking's lock."""
    written = []
    for payment, share in shares:
        if share <= 0 or PaymentEvent.objects.filter(payment=payment, kind=Kind.PAYOUT_DUE).exists():
            continue
        due = ledger_append(
            payment,
            Kind.PAYOUT_DUE,
            amount_minor=share,
            note=note.format(kind=payment.get_kind_display().lower()),
        )
        payout_send.enqueue(due.pk)
        written.append(due)
    return written


@outbound
def payout_send(due_id: int) -> str:
    """Task: transfer one due payout to the provider's Stripe account, once. Waits (returns,
    nothing sent) while their account takes no payouts or a chargeback is open; `payouts_resume`
    queues it again when payouts come on. A failure at Stripe raises, so the task is retried with
    backoff; until it succeeds the payout is listed as due in the admin."""
    due = PaymentEvent.objects.select_related("payment__booking").get(pk=due_id, kind=Kind.PAYOUT_DUE)
    if PaymentEvent.objects.filter(settles=due).exists():
        return "already paid out"
    booking = due.payment.booking
    account = PayoutAccount.objects.filter(provider_id=booking.provider_id).first()
    if account is None or not account.payouts_on:
        log.info("payout %s waits: the provider's account takes no payouts", due.public_id)
        return "waiting for the provider's payout account"
    if chargeback_open(ledger_of(booking)):
        return "frozen: a chargeback is open"
    payment = due.payment
    # A refund decided since the payout was (a deposit paid out early, then the booking cancelled
    # while the transfer waited): send only what the provider still keeps of the payment.
    amount = min(due.amount_minor, dict(payout_shares(booking)).get(payment, 0))
    if amount <= 0:
        return _paid_out_record(due, amount_minor=0, note="Nothing sent: refunded before the transfer")
    transfer_id = stripe_gateway.transfer_create(
        idempotency_key=f"payout-{booking.public_id}-{payment.kind}",
        amount_minor=amount,
        currency=payment.currency,
        destination=account.stripe_account_id,
        group=str(booking.public_id),
        metadata={"booking_id": str(booking.public_id), "payment_id": str(payment.public_id)},
    )
    result = _paid_out_record(
        due, amount_minor=amount, provider_reference=transfer_id, note="Transferred to the provider's Stripe account"
    )
    return result or f"paid out {transfer_id}"


def _paid_out_record(due: PaymentEvent, *, amount_minor: int, note: str, provider_reference: str = "") -> str:
    """Settle a due payout with what was sent. "" when recorded now."""
    try:
        with transaction.atomic():
            ledger_append(
                due.payment,
                Kind.PAID_OUT,
                amount_minor=amount_minor,
                provider_reference=provider_reference,
                settles=due,
                note=note,
            )
    except IntegrityError:
        return "already paid out"  # a second worker recorded the same transfer
    return "" if amount_minor else "nothing left to pay out"


def payouts_resume(*, provider_id: int) -> int:
    """The provider's payouts came on (again): queue the transfers that waited for it. Call
    inside the transaction that records the change."""
    waiting = PaymentEvent.objects.filter(
        kind=Kind.PAYOUT_DUE, payment__booking__provider_id=provider_id, settled_by__isnull=True
    )
    for due in waiting:
        payout_send.enqueue(due.pk)
    return len(waiting)


def payout_claw_back(refund_due: PaymentEvent) -> PaymentEvent | None:
    """Before a card refund of a payment whose payout went out: reverse the part of the transfer
    the provider no longer keeps, so GigSta's balance can pay the refund. Once per refund (its
    ledger key and Stripe's idempotency key name it); None when nothing was paid out."""
    payment = refund_due.payment
    paid_out = PaymentEvent.objects.filter(payment=payment, kind=Kind.PAID_OUT).first()
    if paid_out is None:
        return None
    done = PaymentEvent.objects.filter(idempotency_key=f"{Kind.PAYOUT_REVERSED}:{refund_due.public_id}").first()
    if done is not None:
        return done
    shares = dict(payout_shares(payment.booking))
    reversed_before = sum(
        e.amount_minor for e in PaymentEvent.objects.filter(payment=payment, kind=Kind.PAYOUT_REVERSED)
    )
    amount = paid_out.amount_minor - reversed_before - shares.get(payment, 0)
    if amount <= 0:
        return None
    reversal_id = stripe_gateway.transfer_reverse(
        idempotency_key=f"payout-reversal-{refund_due.public_id}",
        transfer_id=paid_out.provider_reference,
        amount_minor=amount,
        metadata={"refund_due_id": str(refund_due.public_id)},
    )
    try:
        with transaction.atomic():
            return ledger_append(
                payment,
                Kind.PAYOUT_REVERSED,
                of=refund_due.public_id,
                amount_minor=amount,
                provider_reference=reversal_id,
                note="Taken back from the provider's payout before the refund",
            )
    except IntegrityError:
        return PaymentEvent.objects.get(idempotency_key=f"{Kind.PAYOUT_REVERSED}:{refund_due.public_id}")


@outbound
def payout_claw_back_send(refund_due_id: int) -> None:
    """Task: the claw-back for a refund made outside GigSta (the Stripe dashboard)."""
    payout_claw_back(PaymentEvent.objects.select_related("payment__booking").get(pk=refund_due_id))
