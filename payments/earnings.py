"""Reads: a provider's earnings, from the ledger, in one place. The earnings page, its chart, the
CSV export and the monthly statement of fees on manual bookings all read these functions.

Each ledger line that moves money becomes a `Movement` with a gross amount, GigSta's fee and the
provider's net. The fee follows the rule of `payments.selectors.booking_money`: `fee_bps` of what
the client paid and keeps paid; a movement's fee is how much that fee changes with it, so the fees
of a booking's movements add up to its `Money.fee`. Months are calendar months in UTC.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Min, Q

from accounts.models import User
from bookings.models import Booking
from bookings.state_machine import PaymentMethod, State
from bookings.terms import platform_fee
from catalog.templatetags.catalog_tags import money
from payments.models import PaymentEvent, PayoutAccount
from payments.selectors import HELD_KINDS, Hold, money_hold

Kind = PaymentEvent.Kind
UTC = dt.UTC
# Ledger lines that move money (a started or failed checkout moves none).
MONEY_KINDS = (
    Kind.CAPTURED,
    Kind.REFUND_DUE,
    Kind.REFUNDED,
    Kind.PAYOUT_DUE,
    Kind.PAID_OUT,
    Kind.PAYOUT_REVERSED,
    Kind.CHARGEBACK,
    Kind.CHARGEBACK_WON,
    Kind.CHARGEBACK_LOST,
)
# Holds with a payout still to come: "deposit_releasing" goes within the minute, as "paying"; after
# a deposit paid out early, "deposit_paid_out" holds the rest until its date.
UPCOMING_KINDS = ("held", "held_dispute", "paying", "waiting_account", "deposit_releasing", "deposit_paid_out")
# A manual booking owes GigSta its fee once it has ended this way (the card payouts' PAYOUT_STATES).
SETTLED_STATES = (State.COMPLETED, State.CANCELLED, State.EXPIRED)
MONTHS_SHOWN = 12
PAGE_SIZE = 20


@dataclass(frozen=True)
class Movement:
    """One ledger line as the provider sees it. Signs: money towards the provider is positive.
    `earning`: a payment or a refund decided, whose `fee` and `net` say what the provider earns;
    the other lines (refunds sent, payouts, chargebacks) have only the amount they move."""

    at: dt.datetime
    booking: Booking
    kind: str
    label: str
    gross: int
    fee: int
    net: int
    status: str
    earning: bool = True

    @property
    def currency(self) -> str:
        return self.booking.currency


def _status(entry: PaymentEvent, hold: Hold | None, paid_out: set[int]) -> str:
    settled = hasattr(entry, "settled_by")
    if entry.payment.method == PaymentMethod.MANUAL:
        if entry.kind == Kind.CAPTURED:
            return "paid to you directly"
        if entry.kind == Kind.REFUND_DUE:
            return "refunded" if settled else "for you to send"
        return "sent by you"
    if entry.kind == Kind.CAPTURED:
        if hold and hold.kind == "deposit_paid_out":  # a deposit paid out early; the rest is held
            return "paid out" if entry.payment_id in paid_out else "held by GigSta"
        words = {"paid_out": "paid out", "paying": "payout being sent", "waiting_account": "payout waiting"}
        return words.get(hold.kind if hold else "", "held by GigSta")
    if entry.kind == Kind.REFUND_DUE:
        return "refunded" if settled else "refund being sent"
    if entry.kind == Kind.PAYOUT_DUE:
        return "sent" if settled else "being sent"
    return {
        Kind.REFUNDED: "sent",
        Kind.PAID_OUT: "sent",
        Kind.PAYOUT_REVERSED: "taken back",
        Kind.CHARGEBACK: "chargeback",
        Kind.CHARGEBACK_WON: "won",
        Kind.CHARGEBACK_LOST: "lost",
    }[entry.kind]


def _earned(entry: PaymentEvent) -> int:
    """What the line changes in the money the client paid the provider and keeps paid: a payment
    adds, a refund decided takes away. Other lines settle one of these (a refund sent) or move the
    money between GigSta and the provider's Stripe account."""
    if entry.kind == Kind.CAPTURED:
        return entry.amount_minor
    if entry.kind == Kind.REFUND_DUE:
        return -entry.amount_minor
    return 0


# The other lines' amounts, signed as money towards the provider (or, for a refund sent and a
# chargeback, away from the booking).
SIGNS = {
    Kind.REFUNDED: -1,
    Kind.PAYOUT_DUE: 1,
    Kind.PAID_OUT: 1,
    Kind.PAYOUT_REVERSED: -1,
    Kind.CHARGEBACK: -1,
    Kind.CHARGEBACK_WON: 1,
    Kind.CHARGEBACK_LOST: 0,
}


def movements_of(entries: Iterable[PaymentEvent], holds: dict[int, Hold | None]) -> list[Movement]:
    """The ledger lines in order, each with its fee: the change of `fee_bps` of the booking's kept
    money (paid less refunds decided) that the line makes."""
    entries = list(entries)
    paid_out = {e.payment_id for e in entries if e.kind == Kind.PAID_OUT and e.amount_minor}
    kept: dict[int, int] = {}
    fee: dict[int, int] = {}
    out = []
    for e in entries:
        booking = e.payment.booking
        gross = _earned(e)
        earning = e.kind in (Kind.CAPTURED, Kind.REFUND_DUE)
        fee_change = 0
        if earning:
            kept[booking.pk] = kept.get(booking.pk, 0) + gross
            new_fee = platform_fee(max(kept[booking.pk], 0), booking.fee_bps)
            fee_change, fee[booking.pk] = new_fee - fee.get(booking.pk, 0), new_fee
        out.append(
            Movement(
                at=e.created_at,
                booking=booking,
                kind=e.kind,
                label=e.get_kind_display(),
                gross=gross if earning else SIGNS[e.kind] * e.amount_minor,
                fee=fee_change,
                net=gross - fee_change,
                earning=earning,
                status=_status(e, holds.get(booking.pk), paid_out),
            )
        )
    return out


@dataclass
class BookingLine:
    """One booking with money, for the per-booking table."""

    booking: Booking
    hold: Hold | None
    paid: int = 0
    refunds: int = 0  # decided
    refunded: int = 0  # sent
    fee: int = 0

    @property
    def net(self) -> int:
        return self.paid - self.refunds - self.fee

    @property
    def release_at(self) -> dt.datetime | None:
        """The day the timers pay it (or, after a deposit paid out early, the rest) out: the same
        `payout_release_at` they use."""
        return self.hold.until if self.hold and self.hold.kind in ("held", "deposit_paid_out") else None


@dataclass
class Totals:
    currency: str
    paid_by_card: int = 0
    paid_directly: int = 0
    refunds: int = 0
    fees_card: int = 0  # taken from the card payouts
    fees_manual: int = 0  # on money paid to the provider directly: invoiced to them
    paid_out: int = 0  # transferred to the provider's Stripe account, less what was taken back
    clawed_back: int = 0
    held: int = 0

    @property
    def fees(self) -> int:
        return self.fees_card + self.fees_manual


@dataclass(frozen=True)
class MonthRow:
    month: dt.date  # its first day
    paid: int
    refunds: int
    fees: int
    paid_out: int


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    label: str


@dataclass
class Chart:
    """A server-rendered bar chart of the month rows: paid by clients, fees, paid out."""

    currency: str
    rows: list[MonthRow]
    # Small units: the chart scales to the page's width and stays readable at 375 px.
    width: int = 400
    height: int = 200
    top: int = 10
    bottom: int = 22
    left: int = 4
    bars: list[Bar] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)

    SERIES = (("paid", "Paid by clients"), ("fees", "GigSta fees"), ("paid_out", "Paid out to you"))

    @property
    def baseline(self) -> int:
        return self.height - self.bottom

    def build(self) -> "Chart":
        peak = max((getattr(r, s) for r in self.rows for s, _ in self.SERIES), default=0) or 1
        slot = (self.width - 2 * self.left) / max(len(self.rows), 1)
        bar_w = slot * 0.8 / len(self.SERIES)
        usable = self.baseline - self.top
        for i, row in enumerate(self.rows):
            x0 = self.left + i * slot + slot * 0.1
            for j, (series, name) in enumerate(self.SERIES):
                value = max(getattr(row, series), 0)
                h = round(usable * value / peak, 1)
                label = f"{row.month:%b %Y}, {name.lower()}: {money(value, self.currency)}"
                self.bars.append(
                    Bar(round(x0 + j * bar_w, 1), round(self.baseline - h, 1), round(bar_w, 1), h, series, label)
                )
            self.labels.append((round(self.left + i * slot + slot / 2, 1), f"{row.month:%b}"))
        return self


@dataclass
class Earnings:
    """Everything the earnings page shows, per currency."""

    totals: list[Totals]
    months: dict[str, list[MonthRow]]
    charts: list[Chart]
    bookings: list[BookingLine]
    upcoming: list[BookingLine]
    movements: list[Movement]

    @property
    def empty(self) -> bool:
        return not self.movements

    def bookings_page(self, number) -> Page:
        return Paginator(self.bookings, PAGE_SIZE).get_page(number)


def _entries(provider: User, booking_ids: Iterable[int] | None = None) -> list[PaymentEvent]:
    qs = PaymentEvent.objects.filter(payment__booking__provider=provider, kind__in=MONEY_KINDS)
    if booking_ids is not None:
        qs = qs.filter(payment__booking_id__in=list(booking_ids))
    return list(
        qs.select_related("payment__booking__client", "payment__booking__service", "settled_by").order_by(
            "created_at", "pk"
        )
    )


def _holds(entries: list[PaymentEvent], payouts_on: bool) -> dict[int, Hold | None]:
    by_booking: dict[int, list[PaymentEvent]] = {}
    for e in entries:
        by_booking.setdefault(e.payment.booking_id, []).append(e)
    return {pk: money_hold(es[0].payment.booking, es, lambda: payouts_on) for pk, es in by_booking.items()}


def month_starts(now: dt.datetime, count: int = MONTHS_SHOWN) -> list[dt.date]:
    """The first days of the last `count` months (UTC), oldest first, this month last."""
    today = now.astimezone(UTC).date()
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar month in UTC."""
    start = dt.datetime(year, month, 1, tzinfo=UTC)
    if (year, month) == (9999, 12):  # the last month Python's datetime knows
        return start, dt.datetime.max.replace(tzinfo=UTC)
    return start, dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def earnings_of(provider: User, *, now: dt.datetime) -> Earnings:
    """The provider's earnings from their ledger: two queries (the ledger lines, the payout account)."""
    entries = _entries(provider)
    account = PayoutAccount.objects.filter(provider=provider).first()
    holds = _holds(entries, bool(account and account.payouts_on))
    movements = movements_of(entries, holds)

    totals: dict[str, Totals] = {}
    lines: dict[int, BookingLine] = {}
    starts = month_starts(now)
    monthly: dict[tuple[str, dt.date], list[int]] = {}
    for e, m in zip(entries, movements, strict=True):
        t = totals.setdefault(m.currency, Totals(m.currency))
        line = lines.setdefault(m.booking.pk, BookingLine(m.booking, holds.get(m.booking.pk)))
        card = e.payment.method == PaymentMethod.STRIPE
        if m.kind == Kind.CAPTURED:
            line.paid += e.amount_minor
            if card:
                t.paid_by_card += e.amount_minor
            else:
                t.paid_directly += e.amount_minor
        elif m.kind == Kind.REFUND_DUE:
            line.refunds += e.amount_minor
            t.refunds += e.amount_minor
        elif m.kind == Kind.REFUNDED:
            line.refunded += e.amount_minor
        elif m.kind == Kind.PAID_OUT:
            t.paid_out += e.amount_minor
        elif m.kind == Kind.PAYOUT_REVERSED:
            t.paid_out -= e.amount_minor
            t.clawed_back += e.amount_minor
        line.fee += m.fee
        if card:
            t.fees_card += m.fee
        else:
            t.fees_manual += m.fee
        month = m.at.astimezone(UTC).date().replace(day=1)
        sums = monthly.setdefault((m.currency, month), [0, 0, 0, 0])
        sums[0] += e.amount_minor if m.kind == Kind.CAPTURED else 0
        sums[1] += e.amount_minor if m.kind == Kind.REFUND_DUE else 0
        sums[2] += m.fee
        sums[3] += {Kind.PAID_OUT: e.amount_minor, Kind.PAYOUT_REVERSED: -e.amount_minor}.get(m.kind, 0)

    for line in lines.values():
        if line.hold and line.hold.kind in HELD_KINDS:
            totals[line.booking.currency].held += line.hold.amount_minor
    months = {cur: [MonthRow(s, *monthly.get((cur, s), [0, 0, 0, 0])) for s in starts] for cur in sorted(totals)}
    charts = [Chart(cur, rows).build() for cur, rows in months.items()]
    by_gig = sorted(lines.values(), key=lambda line: (line.booking.starts_at, line.booking.pk), reverse=True)
    upcoming = sorted(
        (
            line
            for line in lines.values()
            if line.hold
            and line.hold.kind in UPCOMING_KINDS
            and (line.hold.amount_minor or line.hold.kind != "deposit_paid_out")
        ),
        key=lambda line: (line.release_at or now, line.booking.pk),
    )
    return Earnings(
        totals=[totals[c] for c in sorted(totals)],
        months=months,
        charts=charts,
        bookings=by_gig,
        upcoming=upcoming,
        movements=movements,
    )


def movements_between(provider: User, start: dt.datetime, end: dt.datetime) -> list[Movement]:
    """The provider's movements in [start, end), for the CSV: one query for the ledger (the fee of
    a line depends on the booking's earlier lines, so whole bookings are read), one for the account."""
    booking_ids = set(
        PaymentEvent.objects.filter(
            payment__booking__provider=provider, kind__in=MONEY_KINDS, created_at__gte=start, created_at__lt=end
        ).values_list("payment__booking_id", flat=True)
    )
    if not booking_ids:
        return []
    entries = _entries(provider, booking_ids)
    account = PayoutAccount.objects.filter(provider=provider).first()
    holds = _holds(entries, bool(account and account.payouts_on))
    return [m for m in movements_of(entries, holds) if start <= m.at < end]


@dataclass(frozen=True)
class StatementLine:
    booking: Booking
    settled_at: dt.datetime
    kept: int  # paid to the provider directly, less refunds decided

    @property
    def fee(self) -> int:
        return platform_fee(self.kept, self.booking.fee_bps)

    @property
    def fee_percent(self) -> str:
        return f"{self.booking.fee_bps / 100:g}"


@dataclass
class Statement:
    """The fees on manual bookings that ended in one month: what GigSta invoices the provider."""

    provider: User
    month: dt.date
    lines: list[StatementLine]

    @property
    def currencies(self) -> list[str]:
        return sorted({line.booking.currency for line in self.lines})

    @property
    def totals(self) -> list[tuple[str, int, int]]:
        """(currency, kept, fee) per currency."""
        return [
            (
                cur,
                sum(line.kept for line in self.lines if line.booking.currency == cur),
                sum(line.fee for line in self.lines if line.booking.currency == cur),
            )
            for cur in self.currencies
        ]


def fee_statement_of(provider: User, *, year: int, month: int) -> Statement:
    """Manual bookings of the provider that were completed (or cancelled or expired with money kept)
    in the month (UTC), each with the fee on what the client paid them and kept paid: two queries."""
    start, end = month_bounds(year, month)
    bookings = list(
        Booking.objects.filter(provider=provider, payment_method=PaymentMethod.MANUAL, state__in=SETTLED_STATES)
        .annotate(settled_at=Min("events__created_at", filter=Q(events__to_state__in=SETTLED_STATES)))
        .filter(settled_at__gte=start, settled_at__lt=end)
        .select_related("client", "service")
        .order_by("settled_at", "pk")
    )
    kept: dict[int, int] = {}
    for e in _entries(provider, [b.pk for b in bookings]) if bookings else []:
        kept[e.payment.booking_id] = kept.get(e.payment.booking_id, 0) + _earned(e)
    lines = [StatementLine(b, b.settled_at, kept.get(b.pk, 0)) for b in bookings if kept.get(b.pk, 0) > 0]
    return Statement(provider=provider, month=start.date(), lines=lines)
