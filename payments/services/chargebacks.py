"""What happens to a card payment at Stripe outside GigSta: a chargeback (the cardholder's bank
disputes the charge) and a refund made in the Stripe dashboard. Both are read into the ledger
from Stripe's events, inside the webhook's transaction."""

import logging

from django.conf import settings
from django.core.mail import mail_admins
from django.urls import reverse

from gigsta.tasks import outbound
from payments.errors import RefundTooLarge
from payments.models import Payment, PaymentEvent
from payments.services.ledger import Kind, ledger_append, lock_booking
from payments.services.payouts import payout_claw_back_send
from payments.services.refunds import refund_record, refunded_record

log = logging.getLogger(__name__)


def chargeback_open(*, payment: Payment, obj: dict) -> str:
    """`charge.dispute.created`: Stripe has taken the disputed amount from GigSta's balance. The
    ledger says so, which freezes the booking's payout, and staff get the case."""
    dispute = obj
    lock_booking(payment.booking_id)
    if PaymentEvent.objects.filter(kind=Kind.CHARGEBACK, provider_reference=dispute["id"]).exists():
        return "chargeback already recorded"
    entry = ledger_append(
        payment,
        Kind.CHARGEBACK,
        of=dispute["id"],
        amount_minor=int(dispute.get("amount") or 0),
        provider_reference=dispute["id"],
        note=f"Chargeback opened by the cardholder's bank ({dispute.get('reason') or 'no reason given'})",
    )
    chargeback_staff_alert.enqueue(entry.pk)
    return "chargeback recorded; payout frozen"


def chargeback_close(*, payment: Payment, obj: dict) -> str:
    """`charge.dispute.closed`: won, the money is back on GigSta's balance and the payout may go;
    lost, it stays with the cardholder and the payout stays frozen for staff to settle."""
    dispute = obj
    lock_booking(payment.booking_id)
    won = dispute.get("status") == "won"
    kind = Kind.CHARGEBACK_WON if won else Kind.CHARGEBACK_LOST
    if PaymentEvent.objects.filter(kind=kind, provider_reference=dispute["id"]).exists():
        return "already recorded"
    ledger_append(
        payment,
        kind,
        of=dispute["id"],
        amount_minor=int(dispute.get("amount") or 0) if won else 0,
        provider_reference=dispute["id"],
        note="Chargeback won: the money is back" if won else "Chargeback lost: the cardholder keeps the money",
    )
    return f"chargeback {'won' if won else 'lost'}"


@outbound
def chargeback_staff_alert(entry_id: int) -> None:
    """Task: tell staff (settings.ADMINS) about a new chargeback: evidence is due at Stripe."""
    entry = PaymentEvent.objects.select_related("payment__booking__service").get(pk=entry_id)
    booking = entry.payment.booking
    link = settings.SITE_URL + reverse("admin:payments_chargeback_changelist")
    mail_admins(
        subject=f"Chargeback on {booking.reference} ({booking.service.title})",
        message=(
            f"The cardholder's bank disputed {entry.amount_minor / 100:.2f} {entry.payment.currency} "
            f"for booking {booking.reference}. The provider's payout is frozen until Stripe decides.\n"
            f"Stripe dispute: {entry.provider_reference}\nOpen chargebacks: {link}\n"
        ),
    )


def dashboard_refunds_record(*, payment: Payment, obj: dict) -> str:
    """`charge.refunded`: every refund of the charge is in the ledger once. Ours (sent by
    refund_send) carry their refund line's id; any other was made in the Stripe dashboard and is
    recorded now, and the provider's payout, if it went out, is reversed for it."""
    lock_booking(payment.booking_id)
    refunds = (obj.get("refunds") or {}).get("data") or []
    recorded = 0
    for refund in refunds:
        if not isinstance(refund, dict) or not refund.get("id") or refund.get("status") == "failed":
            continue
        if PaymentEvent.objects.filter(kind=Kind.REFUNDED, provider_reference=refund["id"]).exists():
            continue
        ours = PaymentEvent.objects.filter(
            kind=Kind.REFUND_DUE, public_id=(refund.get("metadata") or {}).get("refund_due_id") or None
        ).first()
        if ours is not None:
            recorded += refunded_record(ours, provider_reference=refund["id"], note="Refunded to the card")[1]
            continue
        try:
            due = refund_record(
                payment=payment, amount_minor=int(refund.get("amount") or 0), note="Refunded in the Stripe dashboard"
            )
        except RefundTooLarge:
            log.error("stripe refund %s is more than remains refundable on %s", refund["id"], payment.public_id)
            continue
        refunded_record(due, provider_reference=refund["id"], note="Refunded in the Stripe dashboard")
        payout_claw_back_send.enqueue(due.pk)
        recorded += 1
    return f"{recorded} refunds recorded" if recorded else "refunds already recorded"
