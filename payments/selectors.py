"""Reads: a booking's money, summed from the ledger, and payments shaped for pages and the API."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from bookings.effects import refund_rule
from bookings.models import Booking
from bookings.state_machine import ACTIONS_BY_NAME, FINAL_STATES, ActionName, PaymentMethod, State, deposit_allowed
from bookings.terms import Due, amounts_due, card_payments_on, platform_fee, policy_lines, refund_of
from payments.models import Payment, PaymentEvent, PayoutAccount

Kind = PaymentEvent.Kind
# The history shows what the client paid and got back; the payout is said in the money panel
# (`Money.hold`), to each party in their words.
# A deposit the booking's terms pay out before the gig goes out while the booking holds: paid,
# confirmed or done (payments.services.payouts.deposit_release). Not while it is disputed, nor once
# cancelled (its refund rule decides, and the payout waits for the window).
DEPOSIT_EARLY_STATES = (State.DEPOSIT_PAID, State.CONFIRMED, State.COMPLETED)
TIMELINE_KINDS = (Kind.CAPTURED, Kind.FAILED, Kind.REFUND_DUE, Kind.REFUNDED)


@dataclass
class PaymentTotals:
    captured: int = 0
    refunds: int = 0  # every refund decided, sent or not
    refunded: int = 0  # refunds sent

    @property
    def refundable(self) -> int:
        return self.captured - self.refunds


def totals_of(entries) -> dict[int, PaymentTotals]:
    """Per payment id, the sums of its ledger entries."""
    totals: dict[int, PaymentTotals] = {}
    for entry in entries:
        t = totals.setdefault(entry.payment_id, PaymentTotals())
        if entry.kind == Kind.CAPTURED:
            t.captured += entry.amount_minor
        elif entry.kind == Kind.REFUND_DUE:
            t.refunds += entry.amount_minor
        elif entry.kind == Kind.REFUNDED:
            t.refunded += entry.amount_minor
    return totals


@dataclass(frozen=True)
class RefundDue:
    """Refunds still to be sent for one booking change, added up: one cancellation refunding a
    deposit and a balance is one refund to the client."""

    first: PaymentEvent  # the one the "mark as sent" button names; the others go with it
    amount_minor: int
    method: str
    note: str


def refunds_due(entries: list[PaymentEvent]) -> list[RefundDue]:
    groups: dict[tuple, list[PaymentEvent]] = {}
    for e in entries:
        if e.kind == Kind.REFUND_DUE and not hasattr(e, "settled_by"):
            groups.setdefault((e.booking_event_id or f"own-{e.pk}", e.payment.method), []).append(e)
    return [
        RefundDue(first=dues[0], amount_minor=sum(d.amount_minor for d in dues), method=method, note=dues[0].note)
        for (_, method), dues in groups.items()
    ]


@dataclass(frozen=True)
class Hold:
    """Where a booking's money is, for the one sentence every page says about it
    (templates/payments/money-holder.html). `kind`: "direct" (manual: paid to the provider,
    never through GigSta); for cards "will_hold" (not paid yet), "held" (until `until`),
    "waiting_account" (due, but the provider's Stripe account takes no payouts), "paying"
    (the transfer is being sent), "paid_out" (on `until`), "frozen" (a chargeback is open).
    Bookings whose terms pay the deposit out before the gig: "will_hold_deposit_early" (nothing
    paid yet), "deposit_releasing" (the deposit is paid, its payout not decided yet: within a
    minute, by the timers), "deposit_paid_out" (`paid_out_minor` went on `paid_out_at`; the rest,
    `amount_minor`, is held until `until`)."""

    kind: str
    until: dt.datetime | None = None
    amount_minor: int = 0
    paid_out_minor: int = 0
    paid_out_at: dt.datetime | None = None


def money_hold(
    booking: Booking, entries: list[PaymentEvent], payouts_on: Callable[[], bool], now: dt.datetime | None = None
) -> Hold | None:
    """The one rule for what a booking's money sentence says, from its ledger. `payouts_on` is
    asked only when a payout is due (it costs a query)."""
    totals = totals_of(e for e in entries if e.payment.method == PaymentMethod.STRIPE)
    kept = sum(t.refundable for t in totals.values())
    if booking.payment_method == PaymentMethod.MANUAL:
        return None if booking.state in FINAL_STATES and not totals_of(entries) else Hold("direct")
    paid_out = _sum(entries, Kind.PAID_OUT) - _sum(entries, Kind.PAYOUT_REVERSED)
    if booking.state in FINAL_STATES and not kept and not paid_out:
        return None
    if not totals:
        early = deposit_early_possible(booking, now or timezone.now())
        return Hold("will_hold_deposit_early" if early else "will_hold", booking.payout_release_at)
    if chargeback_open(entries):
        return Hold("frozen")
    unsent = [e for e in entries if e.kind == Kind.PAYOUT_DUE and not hasattr(e, "settled_by")]
    if unsent:
        return Hold("paying" if payouts_on() else "waiting_account", None, sum(e.amount_minor for e in unsent))
    held = max(kept - platform_fee(kept, booking.fee_bps) - paid_out, 0)
    deposit = _deposit_undecided(booking, entries, totals)
    if deposit:  # the deposit goes out first (the fee on it first, as payout_shares splits it)
        return Hold(
            "deposit_releasing", booking.payout_release_at, held - deposit + platform_fee(deposit, booking.fee_bps)
        )
    # Paid out early, and the rest is held, or is still to be paid.
    rest = held or booking.state == State.DEPOSIT_PAID
    if paid_out and rest and booking.deposit_paid_early and booking.state != State.DISPUTED:
        return Hold("deposit_paid_out", booking.payout_release_at, held, paid_out, _last_paid_out(entries))
    if booking.state == State.DISPUTED:  # what is still here (a deposit paid out early is not)
        return Hold("held_dispute", None, held, max(paid_out, 0))
    if paid_out:
        return Hold("paid_out", _last_paid_out(entries), paid_out)
    return Hold("held", booking.payout_release_at, held)


def deposit_early_possible(booking: Booking, now: dt.datetime) -> bool:
    """Whether a card booking not paid yet may still be paid with a deposit GigSta pays out early:
    its terms say so and the deposit is offered (not once the balance is due)."""
    if not booking.deposit_paid_early or not booking.deposit_percent or booking.state in FINAL_STATES:
        return False
    return booking.state != State.ACCEPTED or deposit_allowed(booking, now)


def _deposit_undecided(booking: Booking, entries: list[PaymentEvent], totals: dict[int, PaymentTotals]) -> int:
    """What is kept of a deposit taken whose early payout the timers have not decided yet (they
    run each minute); 0 when there is none."""
    if not booking.deposit_paid_early or booking.state not in DEPOSIT_EARLY_STATES:
        return 0
    deposits = {e.payment_id for e in entries if e.kind == Kind.CAPTURED and e.payment.kind == Payment.Kind.DEPOSIT}
    decided = {e.payment_id for e in entries if e.kind == Kind.PAYOUT_DUE}
    return sum(totals[pk].refundable for pk in deposits - decided)


def _last_paid_out(entries: list[PaymentEvent]) -> dt.datetime:
    return max(e.created_at for e in entries if e.kind == Kind.PAID_OUT)


def _sum(entries, kind: str) -> int:
    return sum(e.amount_minor for e in entries if e.kind == kind)


def chargeback_open(entries: list[PaymentEvent]) -> bool:
    """A chargeback without its outcome freezes the booking's payout."""
    opened = {e.provider_reference for e in entries if e.kind == Kind.CHARGEBACK}
    closed = {e.provider_reference for e in entries if e.kind in (Kind.CHARGEBACK_WON, Kind.CHARGEBACK_LOST)}
    return bool(opened - closed)


# Holds whose amount is card money GigSta still has for the provider.
HELD_KINDS = (
    "held",
    "held_dispute",
    "paying",
    "waiting_account",
    "frozen",
    "deposit_releasing",
    "deposit_paid_out",
)


@dataclass(frozen=True)
class PayoutLine:
    booking: Booking
    hold: Hold


@dataclass
class Payouts:
    """A provider's card money at GigSta, per booking: held, being paid, paid out, frozen."""

    lines: list[PayoutLine]

    @property
    def currency(self) -> str:
        return self.lines[0].booking.currency if self.lines else ""

    @property
    def held_minor(self) -> int:
        return sum(line.hold.amount_minor for line in self.lines if line.hold.kind in HELD_KINDS)

    @property
    def next_at(self) -> dt.datetime | None:
        waiting = ("held", "deposit_paid_out")
        return min((line.hold.until for line in self.lines if line.hold.kind in waiting), default=None)


def payouts_of(provider: User) -> Payouts:
    """The provider's card bookings that took money, newest gig first: two queries."""
    entries = list(
        PaymentEvent.objects.filter(payment__booking__provider=provider, payment__method=PaymentMethod.STRIPE)
        .select_related("payment__booking__service", "settled_by")
        .order_by("created_at", "pk")
    )
    by_booking: dict[int, list[PaymentEvent]] = {}
    for entry in entries:
        by_booking.setdefault(entry.payment.booking_id, []).append(entry)
    account = PayoutAccount.objects.filter(provider=provider).first()
    lines = []
    for booking_entries in by_booking.values():
        booking = booking_entries[0].payment.booking
        hold = money_hold(booking, booking_entries, lambda: bool(account and account.payouts_on))
        if hold is not None and hold.kind not in ("will_hold", "will_hold_deposit_early"):
            lines.append(PayoutLine(booking, hold))
    return Payouts(sorted(lines, key=lambda line: line.booking.starts_at, reverse=True))


class _Kept:
    """What the provider keeps of what was paid (`paid` less `refunds` decided) and GigSta's fee
    on it, taken from the payout."""

    paid: int
    refunds: int  # decided, sent or not
    refunded: int  # sent
    fee_bps: int

    @property
    def kept(self) -> int:
        return self.paid - self.refunds

    @property
    def refund_pending(self) -> int:
        """Refunds decided but not yet sent."""
        return self.refunds - self.refunded

    @property
    def fee(self) -> int:
        return platform_fee(self.kept, self.fee_bps)

    @property
    def payout(self) -> int:
        return self.kept - self.fee

    @property
    def fee_percent(self) -> str:
        return f"{self.fee_bps / 100:g}"


@dataclass
class Money(_Kept):
    """Everything the booking page, pay page, receipts and API show about a booking's money."""

    booking: Booking
    entries: list[PaymentEvent]
    paid: int  # captured
    refunds: int  # refunds decided (sent or still due)
    refunded: int  # refunds sent
    due_now: list[Due]
    refund_percent_now: int | None  # a client cancelling now gets this share back; None: cannot cancel
    policy: list[str]
    pending_refunds: list[RefundDue] = field(default_factory=list)

    @property
    def hold(self) -> Hold | None:
        return money_hold(self.booking, self.entries, lambda: card_payments_on(self.booking.provider))

    @property
    def currency(self) -> str:
        return self.booking.currency

    @property
    def fee_bps(self) -> int:
        return self.booking.fee_bps

    @property
    def price_fee(self) -> int:
        """The fee on the whole price: what the provider gives up if the booking is paid in full."""
        return platform_fee(self.booking.price_minor, self.booking.fee_bps)

    @property
    def payout_if_paid(self) -> int:
        return self.booking.price_minor - self.price_fee

    @property
    def receipts(self) -> list[Payment]:
        """The payments made, each with its receipt."""
        seen = {e.payment_id: e.payment for e in self.entries if e.kind == Kind.CAPTURED}
        return list(seen.values())

    @property
    def balance(self) -> int:
        """What remains of the price to pay: only while the booking waits for it. Once it is paid,
        money refunded since (a dispute resolved with part back) is not owed again."""
        if self.booking.state not in (State.ACCEPTED, State.DEPOSIT_PAID):
            return 0
        return max(self.booking.price_minor - self.kept, 0)

    @property
    def refund_now(self) -> int | None:
        if self.refund_percent_now is None:
            return None
        return refund_of(self.kept, self.refund_percent_now)

    @property
    def timeline(self) -> list[PaymentEvent]:
        """Ledger entries worth showing next to the booking's history."""
        return [e for e in self.entries if e.kind in TIMELINE_KINDS]


def _client_cancel_percent(booking: Booking, now: dt.datetime) -> int | None:
    """The share of what was paid a client cancelling now gets back, by the same rule the
    cancellation applies; None when the client cannot cancel in this state."""
    if booking.state not in ACTIONS_BY_NAME[ActionName.CANCEL].sources:
        return None
    return refund_rule(ActionName.CANCEL, booking.state, booking, by_client=True, now=now).percent


def booking_money(booking: Booking, now: dt.datetime | None = None) -> Money:
    """The booking's money from its ledger: one query."""
    now = now or timezone.now()
    entries = list(
        PaymentEvent.objects.filter(payment__booking=booking)
        .select_related("payment", "actor", "settled_by")
        .order_by("created_at", "pk")
    )
    totals = totals_of(entries)
    paid = sum(t.captured for t in totals.values())
    refunds = sum(t.refunds for t in totals.values())
    refunded = sum(t.refunded for t in totals.values())
    percent = _client_cancel_percent(booking, now)
    return Money(
        booking=booking,
        entries=entries,
        paid=paid,
        refunds=refunds,
        refunded=refunded,
        due_now=amounts_due(booking, paid - refunds, now),  # a refunded second payment does not count
        refund_percent_now=percent,
        policy=policy_lines(booking),
        pending_refunds=refunds_due(entries),
    )


@dataclass
class Receipt(_Kept):
    """One payment's receipt; for the provider, its fee and payout too."""

    paid: int
    refunds: int
    fee_bps: int
    payment: Payment
    entries: list[PaymentEvent]
    refunded: int

    @property
    def fee(self) -> int:
        """The fee charged on this payment; after a refund, the fee on what the provider keeps of it."""
        return super().fee if self.refunds else self.payment.fee_minor


def receipt_of(payment: Payment) -> Receipt:
    entries = list(payment.events.order_by("created_at", "pk"))
    totals = totals_of(entries)[payment.pk]  # a paid payment has its captured entry
    return Receipt(
        paid=totals.captured,
        refunds=totals.refunds,
        fee_bps=payment.booking.fee_bps,
        payment=payment,
        entries=entries,
        refunded=totals.refunded,
    )


def payment_get_for_user(*, user: User, public_id: UUID) -> Payment:
    """A payment of a booking the user is a party to (staff: any); 404 otherwise."""
    qs = Payment.objects.select_related("booking__service", "booking__client", "booking__provider")
    if not user.is_staff:
        qs = qs.filter(Q(booking__client=user) | Q(booking__provider=user))
    try:
        return qs.get(public_id=public_id)
    except Payment.DoesNotExist:
        raise Http404("No such payment.") from None


def refund_due_get_for_provider(*, user: User, public_id: UUID) -> PaymentEvent:
    """A refund due on one of the provider's bookings; 404 otherwise."""
    try:
        return PaymentEvent.objects.select_related("payment__booking").get(
            public_id=public_id, kind=Kind.REFUND_DUE, payment__booking__provider=user
        )
    except PaymentEvent.DoesNotExist:
        raise Http404("No such refund.") from None
