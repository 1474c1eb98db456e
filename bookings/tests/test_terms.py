"""bookings.terms on its own: plain functions of a booking's snapshotted terms and the time.
Fake bookings, a fixed clock, no database."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from bookings import terms as policy
from bookings.effects import refund_rule
from bookings.state_machine import State
from bookings.terms import (
    Due,
    RefundRule,
    amounts_due,
    client_cancel_percent,
    current_fee_bps,
    deposit_amount,
    platform_fee,
    policy_lines,
    policy_snapshot,
    refund_of,
)

START = dt.datetime(2031, 6, 20, 18, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)
CLIENT, PROVIDER = 1, 2


@dataclass
class FakeBooking:
    """Just the fields the policy reads (bookings.state_machine.BookingLike plus the money terms)."""

    state: str = State.ACCEPTED
    client_id: int = CLIENT
    provider_id: int = PROVIDER
    starts_at: dt.datetime = START
    ends_at: dt.datetime = START + dt.timedelta(hours=3)
    updated_at: dt.datetime = START - 40 * DAY
    payment_method: str = "manual"
    price_minor: int = 100_000
    currency: str = "EUR"
    fee_bps: int = 1000
    deposit_percent: int = 0
    balance_due_days: int = 14
    balance_cancel_days: int = 7
    cancellation_policy: list = field(default_factory=lambda: [[14, 100], [7, 50], [0, 0]])


# --- The platform fee --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "bps", "fee"),
    [
        (100_000, 1000, 10_000),
        (4, 1000, 0),  # 0.4 rounds down
        (5, 1000, 1),  # 0.5 rounds up
        (15, 1000, 2),  # 1.5 rounds up
        (25, 1000, 3),  # 2.5 rounds up too: half up, not to even
        (149_999, 1000, 15_000),  # 14,999.9
        (123_456, 0, 0),
        (0, 1000, 0),
    ],
)
def test_platform_fee_rounds_half_up(amount, bps, fee):
    assert platform_fee(amount, bps) == fee


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        (100_000, 12_500),
        (4, 1),  # 0.5
        (3, 0),  # 0.375
        (12, 2),  # 1.5
        (999, 125),  # 124.875
        (1_001, 125),  # 125.125
    ],
)
def test_platform_fee_at_twelve_and_a_half_percent(amount, fee):
    assert platform_fee(amount, 1250) == fee


def test_platform_fee_is_never_more_than_the_amount():
    assert all(platform_fee(amount, 10_000) == amount for amount in range(0, 500))
    assert all(platform_fee(amount, 5000) <= amount for amount in range(0, 500))


@pytest.mark.parametrize(("percent", "bps"), [(Decimal("10"), 1000), (Decimal("12.5"), 1250), (Decimal("0"), 0)])
def test_current_fee_comes_from_the_settings_in_basis_points(settings, percent, bps):
    settings.PLATFORM_FEE_PERCENT = percent
    assert current_fee_bps() == bps


# --- Deposits and what is due ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "percent", "deposit"),
    [
        (100_000, 30, 30_000),
        (150_000, 25, 37_500),
        (999, 33, 330),  # 329.67
        (101, 50, 51),  # 50.5 rounds up
        (149, 10, 15),  # 14.9
        (100_000, 0, 0),
    ],
)
def test_deposit_amount(price, percent, deposit):
    assert deposit_amount(FakeBooking(price_minor=price, deposit_percent=percent)) == deposit


def test_accepted_without_deposit_owes_the_full_price():
    booking = FakeBooking(deposit_percent=0)
    assert amounts_due(booking, 0, START - 30 * DAY) == [Due("full", 100_000, "Pay in full")]


def test_accepted_with_deposit_offers_the_deposit_first_before_the_balance_due_date():
    booking = FakeBooking(deposit_percent=30, balance_due_days=14)
    due_at = START - 14 * DAY
    expected = [Due("deposit", 30_000, "Pay the 30 % deposit"), Due("full", 100_000, "Pay in full")]
    assert amounts_due(booking, 0, START - 40 * DAY) == expected
    assert amounts_due(booking, 0, due_at - MINUTE) == expected


@pytest.mark.parametrize("when", [START - 14 * DAY, START - 14 * DAY + MINUTE, START - DAY, START + DAY])
def test_accepted_with_deposit_owes_the_full_price_once_the_balance_is_due(when):
    booking = FakeBooking(deposit_percent=30, balance_due_days=14)
    assert amounts_due(booking, 0, when) == [Due("full", 100_000, "Pay in full")]


def test_deposit_paid_owes_the_balance():
    booking = FakeBooking(state=State.DEPOSIT_PAID, deposit_percent=30)
    assert amounts_due(booking, 30_000, START - 20 * DAY) == [Due("balance", 70_000, "Pay the balance")]
    # the balance stays payable after its due date: the provider decides whether to cancel
    assert amounts_due(booking, 30_000, START - DAY) == [Due("balance", 70_000, "Pay the balance")]


def test_deposit_paid_and_paid_in_full_owes_nothing():
    booking = FakeBooking(state=State.DEPOSIT_PAID, deposit_percent=30)
    assert amounts_due(booking, 100_000, START - 20 * DAY) == []


@pytest.mark.parametrize(
    ("state", "paid"),
    [
        (State.CONFIRMED, 100_000),
        (State.CONFIRMED, 0),
        (State.REQUESTED, 0),
        (State.CANCELLED, 30_000),
        (State.COMPLETED, 100_000),
        (State.ACCEPTED, 30_000),  # something already arrived: no second first payment
    ],
)
def test_nothing_due_outside_accepted_and_deposit_paid(state, paid):
    booking = FakeBooking(state=state, deposit_percent=30)
    assert amounts_due(booking, paid, START - 30 * DAY) == []


# --- The cancellation policy ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notice", "percent"),
    [
        (40 * DAY, 100),
        (14 * DAY, 100),  # exactly 14 days: still the full refund
        (14 * DAY - MINUTE, 50),
        (7 * DAY, 50),  # exactly 7 days: still half
        (7 * DAY - MINUTE, 0),
        (MINUTE, 0),
        (dt.timedelta(0), 0),  # at the start
        (-dt.timedelta(hours=1), 0),  # after the start
        (-30 * DAY, 0),
    ],
)
def test_client_cancel_percent_at_each_window_edge(notice, percent):
    assert client_cancel_percent(FakeBooking(), START - notice) == percent


def test_client_cancel_follows_a_custom_snapshotted_policy():
    booking = FakeBooking(cancellation_policy=[[30, 100], [10, 25], [0, 10]])
    assert client_cancel_percent(booking, START - 30 * DAY) == 100
    assert client_cancel_percent(booking, START - 29 * DAY) == 25
    assert client_cancel_percent(booking, START - 10 * DAY) == 25
    assert client_cancel_percent(booking, START - 10 * DAY + MINUTE) == 10
    assert client_cancel_percent(booking, START - MINUTE) == 10


@pytest.mark.parametrize(
    ("days", "rule"),
    [
        (20, RefundRule(100, "Client cancelled: 100 % back under the cancellation policy")),
        (10, RefundRule(50, "Client cancelled: 50 % back under the cancellation policy")),
        (3, RefundRule(0, "Client cancelled: 0 % back under the cancellation policy")),
    ],
)
def test_refund_rule_for_a_client_cancel_follows_the_policy(days, rule):
    booking = FakeBooking(state=State.CONFIRMED)
    assert refund_rule("cancel", State.CONFIRMED, booking, True, START - days * DAY) == rule


@pytest.mark.parametrize("days", [40, 10, 1])
def test_refund_rule_for_a_provider_cancel_is_always_full(days):
    booking = FakeBooking(state=State.CONFIRMED)
    assert refund_rule("cancel", State.CONFIRMED, booking, False, START - days * DAY) == RefundRule(
        100, "Provider cancelled: everything back"
    )
    assert refund_rule("cancel", State.DEPOSIT_PAID, booking, False, START - days * DAY).percent == 100


def test_refund_rule_for_staff_resolving_a_dispute_with_a_refund_is_full():
    booking = FakeBooking(state=State.DISPUTED)
    assert refund_rule("resolve_refund", State.DISPUTED, booking, False, START + 2 * DAY) == RefundRule(
        100, "Dispute resolved by GigSta staff: everything back"
    )


def test_refund_rule_for_an_unpaid_balance_keeps_the_deposit():
    booking = FakeBooking(state=State.DEPOSIT_PAID, deposit_percent=30)
    assert refund_rule("cancel_unpaid", State.DEPOSIT_PAID, booking, False, START - 5 * DAY) == RefundRule(
        0, "Balance not paid: the deposit is kept"
    )


def test_refund_rule_for_an_expired_deposit_keeps_it():
    booking = FakeBooking(state=State.DEPOSIT_PAID, deposit_percent=30)
    assert refund_rule("expire", State.DEPOSIT_PAID, booking, False, START + 5 * DAY) == RefundRule(
        0, "Balance never paid: the deposit is kept"
    )


@pytest.mark.parametrize(
    ("action", "from_state"),
    [
        ("expire", State.REQUESTED),  # nothing was paid
        ("expire", State.ACCEPTED),
        ("accept", State.REQUESTED),
        ("mark_paid", State.ACCEPTED),
        ("mark_deposit_paid", State.ACCEPTED),
        ("complete", State.CONFIRMED),
        ("auto_complete", State.CONFIRMED),
        ("dispute", State.CONFIRMED),
        ("resolve_release", State.DISPUTED),
        ("remind_balance", State.DEPOSIT_PAID),
        ("withdraw", State.ACCEPTED),
    ],
)
@pytest.mark.parametrize("by_client", [True, False])
def test_refund_rule_is_none_for_actions_that_move_no_money(action, from_state, by_client):
    assert refund_rule(action, from_state, FakeBooking(), by_client, START - 20 * DAY) is None


@pytest.mark.parametrize(("paid", "percent", "refund"), [(100_000, 50, 50_000), (999, 50, 499), (1, 50, 0)])
def test_refund_of_rounds_down(paid, percent, refund):
    assert refund_of(paid, percent) == refund
    assert refund_of(paid, 100) == paid
    assert refund_of(paid, 0) == 0


# --- The policy in words -----------------------------------------------------------------------


def test_policy_lines_without_a_deposit():
    assert policy_lines(FakeBooking()) == [
        "You cancel 14 days or more before the gig: full refund.",
        "You cancel 7 to 13 days before: 50 % refunded.",
        "You cancel less than 7 days before: no refund.",
        "The provider cancels: full refund.",
    ]


def test_policy_lines_with_a_deposit_mention_the_unpaid_balance():
    lines = policy_lines(FakeBooking(deposit_percent=30, balance_due_days=21, balance_cancel_days=5))
    assert lines[-1] == ("Balance still unpaid 5 days before the gig: the provider may cancel and keep the deposit.")
    assert len(lines) == 5


def test_policy_lines_for_a_custom_policy():
    booking = FakeBooking(cancellation_policy=[[30, 100], [10, 25], [0, 10]])
    assert policy_lines(booking)[:3] == [
        "You cancel 30 days or more before the gig: full refund.",
        "You cancel 10 to 29 days before: 25 % refunded.",
        "You cancel less than 10 days before: 10 % refunded.",
    ]


# --- Snapshots: today's policy never changes an existing booking ------------------------------


def test_snapshot_is_a_copy_of_todays_policy():
    assert policy_snapshot() == [[14, 100], [7, 50], [0, 0]]
    assert policy_snapshot() == [list(window) for window in policy.CANCELLATION_POLICY]


def test_a_booking_keeps_its_snapshotted_policy_when_todays_changes(monkeypatch):
    booking = FakeBooking(cancellation_policy=policy_snapshot())
    lines_before = policy_lines(booking)
    monkeypatch.setattr(policy, "CANCELLATION_POLICY", ((30, 100), (0, 0)))

    assert policy_snapshot() == [[30, 100], [0, 0]]  # new bookings would get the new policy
    assert client_cancel_percent(booking, START - 10 * DAY) == 50
    assert client_cancel_percent(booking, START - 20 * DAY) == 100
    assert refund_rule("cancel", State.CONFIRMED, booking, True, START - 10 * DAY).percent == 50
    assert policy_lines(booking) == lines_before


def test_a_booking_without_a_snapshot_gets_todays_policy(monkeypatch):
    """Bookings made before policies were snapshotted carry an empty list."""
    legacy = FakeBooking(cancellation_policy=[])
    assert client_cancel_percent(legacy, START - 10 * DAY) == 50
    monkeypatch.setattr(policy, "CANCELLATION_POLICY", ((30, 100), (0, 0)))
    assert client_cancel_percent(legacy, START - 10 * DAY) == 0
    assert policy_lines(legacy)[:2] == [
        "You cancel 30 days or more before the gig: full refund.",
        "You cancel less than 30 days before: no refund.",
    ]


def test_fake_booking_defaults_are_the_snapshot_a_real_booking_gets():
    """Guards the fakes above: they must look like what booking_terms stores."""
    assert FakeBooking().cancellation_policy == policy_snapshot()
