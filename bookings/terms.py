"""A booking's terms, declared once: how it is paid, the platform fee, the deposit split and
the cancellation policy. Plain functions of a booking's snapshotted terms and the time; no
database.

Bookings copy these terms when they are requested (`booking_terms`, called by
bookings.services.booking_request), so a later change here or in the settings never changes
what an existing booking agreed to.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from bookings.state_machine import BookingLike, PaymentMethod, State, deposit_allowed
from catalog.pricing import price_for
from catalog.templatetags.catalog_tags import money

# Client cancellations: (at least this many days before the gig, percent of what was paid
# that is refunded). Checked in order; the last window must start at 0 days.
CANCELLATION_POLICY: tuple[tuple[int, int], ...] = ((14, 100), (7, 50), (0, 0))


def card_payments_on(provider=None) -> bool:
    """Whether GigSta takes cards at all (Stripe keys set) and, for a provider, whether it can pay
    them out: only then is a new booking of theirs paid by card, held by GigSta and transferred
    after the gig. Read through the reverse relation of payments.PayoutAccount (status
    "payouts_on"), so bookings never imports payments."""
    if not (settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET):
        return False
    if provider is None:
        return True
    # Asked of the database each time: a provider instance may predate their account's change.
    return type(provider).objects.filter(pk=provider.pk, payout_account__status="payouts_on").exists()


def booking_terms(service, duration_minutes: int) -> dict:
    """The terms a new booking of `service` for `duration_minutes` copies: the price for that
    length (catalog.pricing), how it is paid, fee, deposit, policy."""
    method = PaymentMethod.STRIPE if card_payments_on(service.provider) else PaymentMethod.MANUAL
    return {
        "price_minor": price_for(service, duration_minutes),
        "currency": service.currency,
        "payment_method": method,
        "fee_bps": current_fee_bps(),
        "deposit_percent": service.deposit_percent,
        "balance_due_days": service.balance_due_days,
        "balance_cancel_days": min(settings.BALANCE_CANCEL_DAYS, service.balance_due_days),
        # Only a card booking with a deposit has a deposit GigSta could pay out early.
        "deposit_paid_early": bool(service.deposit_paid_early and service.deposit_percent and method == "stripe"),
        "cancellation_policy": policy_snapshot(),
    }


def policy_snapshot() -> list[list[int]]:
    """What a new booking stores in Booking.cancellation_policy."""
    return [[days, percent] for days, percent in CANCELLATION_POLICY]


def current_fee_bps() -> int:
    """The platform fee for new bookings, in basis points (10 % = 1000)."""
    return round(settings.PLATFORM_FEE_PERCENT * 100)


def platform_fee(amount_minor: int, fee_bps: int) -> int:
    """The platform's share of an amount, rounded half up to a whole minor unit. The fee is
    taken from the provider's payout; the client pays the listed price."""
    return (amount_minor * fee_bps + 5000) // 10000


def deposit_amount(booking: BookingLike) -> int:
    return (booking.price_minor * booking.deposit_percent + 50) // 100


@dataclass(frozen=True)
class Due:
    """One amount the client can pay now: the deposit, the balance, or the whole price."""

    kind: str  # "deposit", "balance" or "full"
    amount_minor: int
    label: str


def amounts_due(booking: BookingLike, paid_minor: int, now: dt.datetime) -> list[Due]:
    """What the client may pay now, the suggested choice first. Nothing once paid in full."""
    if booking.state == State.ACCEPTED and paid_minor == 0:
        full = Due("full", booking.price_minor, "Pay in full")
        if deposit_allowed(booking, now):
            deposit = deposit_amount(booking)
            return [Due("deposit", deposit, f"Pay the {booking.deposit_percent} % deposit"), full]
        return [full]
    if booking.state == State.DEPOSIT_PAID and paid_minor < booking.price_minor:
        return [Due("balance", booking.price_minor - paid_minor, "Pay the balance")]
    return []


@dataclass(frozen=True)
class RefundRule:
    percent: int
    reason: str
    # An exact amount instead of a share (staff resolving a dispute with part back); it must not
    # exceed what remains refundable (payments.services.refunds.refunds_record refuses it).
    amount_minor: int | None = None


def _rules(booking: BookingLike) -> list[list[int]]:
    # Bookings made before policies were snapshotted carry none: they get today's policy.
    return booking.cancellation_policy or policy_snapshot()


def client_cancel_percent(booking: BookingLike, now: dt.datetime) -> int:
    """The share of what was paid that a client cancelling now gets back."""
    notice = booking.starts_at - now
    for days, percent in _rules(booking):
        if notice >= dt.timedelta(days=days):
            return percent
    return 0


# Refund rules: how much of what was paid goes back to the client when an action takes the
# booking out of `from_state`. The effects table (gigsta/effects.py) names one per action
# that moves money; `bookings.effects.refund_rule` reads it.
# `asked_minor`: the amount the action carried (BookingEvent.amount_minor), for the rules that take one.
class RefundFn(Protocol):
    def __call__(
        self,
        booking: BookingLike,
        *,
        from_state: str,
        by_client: bool,
        now: dt.datetime,
        asked_minor: int | None = None,
    ) -> RefundRule | None: ...


def refund_on_cancel(
    booking: BookingLike, *, from_state: str, by_client: bool, now: dt.datetime, asked_minor: int | None = None
) -> RefundRule:
    """A client cancelling gets the policy's share back; a provider cancelling, everything."""
    if by_client:
        percent = client_cancel_percent(booking, now)
        return RefundRule(percent, f"Client cancelled: {percent} % back under the cancellation policy")
    return RefundRule(100, "Provider cancelled: everything back")


def refund_all(reason: str) -> RefundFn:
    def rule(
        booking: BookingLike, *, from_state: str, by_client: bool, now: dt.datetime, asked_minor: int | None = None
    ) -> RefundRule:
        return RefundRule(100, reason)

    return rule


def refund_asked(reason: str) -> RefundFn:
    """Exactly the amount the action carried goes back (a dispute resolved with part refunded)."""

    def rule(
        booking: BookingLike, *, from_state: str, by_client: bool, now: dt.datetime, asked_minor: int | None = None
    ) -> RefundRule | None:
        if not asked_minor:
            return None
        return RefundRule(0, f"{reason}: {money(asked_minor, booking.currency)} back", amount_minor=asked_minor)

    return rule


def refund_none(reason: str, *, leaving: str) -> RefundFn:
    """Nothing back (the deposit is kept) when leaving that state; from any other state nothing
    was paid, so there is no rule."""

    def rule(
        booking: BookingLike, *, from_state: str, by_client: bool, now: dt.datetime, asked_minor: int | None = None
    ) -> RefundRule | None:
        return RefundRule(0, reason) if from_state == leaving else None

    return rule


def refund_of(paid_minor: int, percent: int) -> int:
    """The refund for a percentage of what was paid, rounded down: never more than was paid."""
    return paid_minor * percent // 100


def policy_lines(booking: BookingLike) -> list[str]:
    """The cancellation policy in words, for the booking and pay pages."""
    rules = _rules(booking)
    lines = []
    for i, (days, percent) in enumerate(rules):
        upper = rules[i - 1][0] if i else None
        when = (
            f"{days} days or more before the gig"
            if upper is None
            else f"less than {upper} days before"
            if days == 0
            else f"{days} to {upper - 1} days before"
        )
        what = "full refund" if percent == 100 else "no refund" if percent == 0 else f"{percent} % refunded"
        lines.append(f"You cancel {when}: {what}.")
    lines.append("The provider cancels: full refund.")
    if booking.deposit_percent:
        lines.append(
            f"Balance still unpaid {booking.balance_cancel_days} days before the gig: "
            "the provider may cancel and keep the deposit."
        )
    return lines
