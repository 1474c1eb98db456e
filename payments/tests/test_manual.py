"""Manual payments (bank transfer or cash) through the real services and the database: the terms a
booking snapshots, what the provider's "paid" buttons write, refunds by the policy, and totals
summed from the ledger."""

import datetime as dt
from decimal import Decimal

import pytest

from bookings import terms as policy
from bookings.models import Booking, BookingEvent
from bookings.services import booking_transition
from bookings.state_machine import TransitionNotAllowed, balance_cancel_at
from bookings.tests.factories import at, make_booking
from catalog.services import ServiceData, service_update
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from payments.errors import PaymentError, RefundTooLarge
from payments.models import Payment, PaymentEvent, PayoutAccount
from payments.selectors import booking_money
from payments.services import refunds as payment_services
from payments.services.manual import manual_refund_mark_sent
from payments.services.refunds import refund_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("manual_terms")]

PRICE = 100_000  # 1,000.00 EUR
DEFAULT_POLICY = [[14, 100], [7, 50], [0, 0]]


@pytest.fixture
def service(provider):
    return make_service(provider, price_minor=PRICE)


def act(booking: Booking, action: str, actor, **kwargs) -> Booking:
    return booking_transition(booking=booking, action=action, actor=actor, **kwargs).booking


def ledger(booking: Booking) -> list[tuple[str, int]]:
    return list(
        PaymentEvent.objects.filter(payment__booking=booking)
        .order_by("created_at", "pk")
        .values_list("kind", "amount_minor")
    )


def refunds_due(booking: Booking) -> list[PaymentEvent]:
    return list(
        PaymentEvent.objects.filter(payment__booking=booking, kind=PaymentEvent.Kind.REFUND_DUE)
        .select_related("payment", "booking_event")
        .order_by("created_at", "pk")
    )


def terms(booking: Booking) -> tuple:
    booking.refresh_from_db()
    return (
        booking.payment_method,
        booking.price_minor,
        booking.currency,
        booking.fee_bps,
        booking.deposit_percent,
        booking.balance_due_days,
        booking.balance_cancel_days,
        booking.cancellation_policy,
    )


# --- The terms a booking snapshots --------------------------------------------------------------


def test_a_request_snapshots_the_money_terms(client_user, provider):
    service = make_service(provider, price_minor=PRICE, deposit_percent=30, balance_due_days=21)
    booking = make_booking(client=client_user, service=service)
    assert terms(booking) == ("manual", PRICE, "EUR", 1000, 30, 21, 7, DEFAULT_POLICY)


@pytest.mark.parametrize(("due_days", "cancel_setting", "cancel_days"), [(5, 7, 5), (21, 3, 3), (7, 7, 7)])
def test_balance_cancel_days_is_never_later_than_the_balance_due_date(
    settings, client_user, provider, due_days, cancel_setting, cancel_days
):
    settings.BALANCE_CANCEL_DAYS = cancel_setting
    service = make_service(provider, price_minor=PRICE, deposit_percent=20, balance_due_days=due_days)
    assert make_booking(client=client_user, service=service).balance_cancel_days == cancel_days


def test_later_changes_to_settings_and_the_service_leave_an_existing_booking_alone(
    settings, monkeypatch, client_user, provider
):
    service = make_service(provider, price_minor=PRICE, deposit_percent=30, balance_due_days=21)
    booking = make_booking(client=client_user, service=service, starts_at=at(40))
    before = terms(booking)

    settings.PLATFORM_FEE_PERCENT = Decimal("15")
    settings.BALANCE_CANCEL_DAYS = 2
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_later", "whsec_later"  # cards switched on
    # … and the provider's payouts are on: only then are their new bookings card bookings.
    PayoutAccount.objects.create(provider=provider, stripe_account_id="acct_test_later", status="payouts_on")
    monkeypatch.setattr(policy, "CANCELLATION_POLICY", ((30, 100), (0, 0)))
    data = ServiceData(
        title=service.title,
        description=service.description,
        category=service.category.slug,
        price_minor=200_000,
        currency="EUR",
        duration_minutes=service.duration_minutes,
        city=service.city,
        deposit_percent=50,
        balance_due_days=10,
    )
    service_update(service=service, actor=provider, data=data)

    assert terms(booking) == before
    booking = act(act(booking, "accept", provider), "mark_deposit_paid", provider)
    payment = Payment.objects.get(booking=booking)
    assert (payment.amount_minor, payment.fee_minor) == (30_000, 3_000)  # 30 % of the old price, 10 % fee
    assert [(d.kind, d.amount_minor) for d in booking_money(booking).due_now] == [("balance", 70_000)]

    newer = make_booking(client=client_user, service=service, starts_at=at(60))
    assert terms(newer) == ("stripe", 200_000, "EUR", 1500, 50, 10, 2, [[30, 100], [0, 0]])


def test_a_cancel_uses_the_snapshotted_policy_not_todays(monkeypatch, client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(10))
    monkeypatch.setattr(policy, "CANCELLATION_POLICY", ((30, 100), (0, 0)))  # would refund nothing at 10 days
    act(booking, "cancel", client_user)
    assert [r.amount_minor for r in refunds_due(booking)] == [50_000]


# --- mark_paid and mark_deposit_paid ------------------------------------------------------------


def test_mark_paid_records_one_full_payment_and_one_capture(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    booking = act(booking, "mark_paid", provider)

    assert booking.state == "confirmed"
    payment = Payment.objects.get(booking=booking)
    assert (payment.kind, payment.method, payment.status) == ("full", "manual", "succeeded")
    assert (payment.amount_minor, payment.currency, payment.fee_minor) == (PRICE, "EUR", 10_000)
    captured = PaymentEvent.objects.get(payment=payment)
    event = booking.events.get(action="mark_paid")
    assert (captured.kind, captured.amount_minor) == ("captured", PRICE)
    assert (captured.booking_event, captured.actor) == (event, provider)
    assert ledger(booking) == [("captured", PRICE)]


def test_mark_paid_twice_records_the_payment_once(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    act(booking, "mark_paid", provider)
    with pytest.raises(TransitionNotAllowed):
        act(booking, "mark_paid", provider)  # a double click

    booking.refresh_from_db()
    assert booking.state == "confirmed"
    assert Payment.objects.filter(booking=booking).count() == 1
    assert ledger(booking) == [("captured", PRICE)]
    assert BookingEvent.objects.filter(booking=booking, action="mark_paid").count() == 1


def test_the_fee_follows_the_snapshotted_rate(settings, client_user, provider, service):
    settings.PLATFORM_FEE_PERCENT = Decimal("12.5")
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    assert Payment.objects.get(booking=booking).fee_minor == 12_500
    assert booking_money(booking).fee == 12_500


def test_deposit_then_balance_adds_up_to_the_price(client_user, provider, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
    assert [(d.kind, d.amount_minor) for d in booking_money(booking).due_now] == [("deposit", 30_000), ("full", PRICE)]

    booking = act(booking, "mark_deposit_paid", provider)
    assert booking.state == "deposit_paid"
    deposit = Payment.objects.get(booking=booking)
    assert (deposit.kind, deposit.method, deposit.amount_minor, deposit.fee_minor) == (
        "deposit",
        "manual",
        30_000,
        3_000,
    )
    money = booking_money(booking)
    assert (money.paid, money.balance) == (30_000, 70_000)
    assert [(d.kind, d.amount_minor) for d in money.due_now] == [("balance", 70_000)]

    booking = act(booking, "mark_paid", provider)
    assert booking.state == "confirmed"
    balance = Payment.objects.filter(booking=booking).exclude(pk=deposit.pk).get()
    assert (balance.kind, balance.amount_minor, balance.fee_minor) == ("balance", 70_000, 7_000)
    assert ledger(booking) == [("captured", 30_000), ("captured", 70_000)]
    money = booking_money(booking)
    assert (money.paid, money.balance, money.due_now) == (PRICE, 0, [])
    assert (money.fee, money.payout) == (10_000, 90_000)


def test_mark_paid_straight_away_on_a_deposit_booking_is_one_full_payment(client_user, provider, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="confirmed")
    assert list(Payment.objects.filter(booking=booking).values_list("kind", "amount_minor")) == [("full", PRICE)]


# --- Refunds by the policy ----------------------------------------------------------------------


@pytest.mark.parametrize(("days", "refunded"), [(20, PRICE), (10, PRICE // 2), (3, None)])
def test_client_cancel_of_a_paid_booking_follows_the_policy_windows(client_user, provider, service, days, refunded):
    booking = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(days))
    booking = act(booking, "cancel", client_user)

    assert booking.state == "cancelled"
    rows = refunds_due(booking)
    if refunded is None:  # less than 7 days: nothing is recorded
        assert rows == []
        assert ledger(booking) == [("captured", PRICE)]
    else:
        assert [r.amount_minor for r in rows] == [refunded]
        assert rows[0].booking_event == booking.events.get(action="cancel")
        assert rows[0].note.startswith("Client cancelled")
    money = booking_money(booking)
    assert money.kept == PRICE - (refunded or 0)
    assert money.refund_pending == (refunded or 0)


@pytest.mark.parametrize("days", [20, 10, 3])
def test_provider_cancel_refunds_in_full(client_user, provider, service, days):
    booking = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(days))
    act(booking, "cancel", provider)
    rows = refunds_due(booking)
    assert [r.amount_minor for r in rows] == [PRICE]
    assert rows[0].note == "Provider cancelled: everything back"
    assert booking_money(booking).kept == 0


def test_provider_cancel_after_deposit_and_balance_refunds_both_newest_first(client_user, provider, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="deposit_paid")
    booking = act(booking, "mark_paid", provider)
    act(booking, "cancel", provider)
    assert [(r.payment.kind, r.amount_minor) for r in refunds_due(booking)] == [
        ("balance", 70_000),
        ("deposit", 30_000),
    ]


def test_a_half_refund_comes_from_the_newest_payment_first(client_user, provider):
    service = make_service(provider, price_minor=PRICE, deposit_percent=30, balance_due_days=5)
    booking = make_booking(client=client_user, service=service, to_state="deposit_paid", starts_at=at(10))
    booking = act(booking, "mark_paid", provider)
    act(booking, "cancel", client_user)
    assert [(r.payment.kind, r.amount_minor) for r in refunds_due(booking)] == [("balance", 50_000)]


def test_client_cancel_of_a_deposit_long_before_the_gig_refunds_the_deposit(client_user, provider, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="deposit_paid", starts_at=at(30))
    act(booking, "cancel", client_user)
    assert [(r.payment.kind, r.amount_minor) for r in refunds_due(booking)] == [("deposit", 30_000)]


def test_staff_resolving_a_dispute_with_a_refund_refunds_in_full(client_user, provider, staff_user, service):
    booking = make_booking(client=client_user, service=service, to_state="disputed", starts_at=at(1))
    booking = act(booking, "resolve_refund", staff_user, note="The band never came.")

    assert booking.state == "refunded"
    rows = refunds_due(booking)
    assert [r.amount_minor for r in rows] == [PRICE]
    assert rows[0].note == "Dispute resolved by GigSta staff: everything back"
    money = booking_money(booking)
    assert (money.kept, money.fee, money.payout) == (0, 0, 0)


def test_cancel_unpaid_keeps_the_deposit(client_user, provider, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="deposit_paid", starts_at=at(30))
    booking = act(booking, "cancel_unpaid", provider, now=balance_cancel_at(booking) + dt.timedelta(hours=1))

    assert booking.state == "cancelled"
    assert refunds_due(booking) == []
    assert ledger(booking) == [("captured", 30_000)]
    money = booking_money(booking)
    assert (money.kept, money.fee, money.payout) == (30_000, 3_000, 27_000)


# --- Refused transitions write nothing ---------------------------------------------------------


def test_client_cannot_mark_paid_and_nothing_is_written(client_user, provider, stranger, service):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    for actor, action in [(client_user, "mark_paid"), (stranger, "mark_paid"), (client_user, "mark_deposit_paid")]:
        with pytest.raises(TransitionNotAllowed):
            act(booking, action, actor)
    booking.refresh_from_db()
    assert booking.state == "accepted"
    assert not Payment.objects.filter(booking=booking).exists()
    assert ledger(booking) == []


def test_no_deposit_can_be_marked_on_a_booking_without_one(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    with pytest.raises(TransitionNotAllowed):
        act(booking, "mark_deposit_paid", provider)
    assert ledger(booking) == []


def test_cancel_from_requested_is_refused_and_writes_nothing(client_user, provider, service):
    booking = make_booking(client=client_user, service=service)
    for actor in (client_user, provider):
        with pytest.raises(TransitionNotAllowed):
            act(booking, "cancel", actor)
    booking.refresh_from_db()
    assert booking.state == "requested"
    assert ledger(booking) == []


def test_a_stranger_cannot_cancel_a_paid_booking(client_user, provider, stranger, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    with pytest.raises(TransitionNotAllowed):
        act(booking, "cancel", stranger)
    assert ledger(booking) == [("captured", PRICE)]


def test_cancel_unpaid_before_the_cutoff_is_refused(client_user, provider, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="deposit_paid", starts_at=at(30))
    with pytest.raises(TransitionNotAllowed):
        act(booking, "cancel_unpaid", provider)
    booking.refresh_from_db()
    assert booking.state == "deposit_paid"
    assert ledger(booking) == [("captured", 30_000)]


def test_a_failing_refund_rolls_the_cancel_back(monkeypatch, client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")

    def broken(**kwargs):
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(payment_services, "refund_record", broken)
    with pytest.raises(RuntimeError):
        act(booking, "cancel", provider)
    booking.refresh_from_db()
    assert booking.state == "confirmed"
    assert not booking.events.filter(action="cancel").exists()
    assert ledger(booking) == [("captured", PRICE)]


# --- Manual refunds sent by the provider --------------------------------------------------------


def test_provider_marks_a_manual_refund_mark_sent(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    act(booking, "cancel", provider)
    [group] = booking_money(booking).pending_refunds
    due = group.first
    assert booking_money(booking).refund_pending == group.amount_minor == PRICE

    [sent] = manual_refund_mark_sent(due=due, actor=provider)

    assert (sent.kind, sent.amount_minor, sent.settles, sent.actor) == ("refunded", PRICE, due, provider)
    money = booking_money(booking)
    assert (money.refunds, money.refunded, money.refund_pending, money.pending_refunds) == (PRICE, PRICE, 0, [])


def test_marking_a_refund_sent_twice_records_it_once(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    act(booking, "cancel", provider)
    [due] = refunds_due(booking)

    [first] = manual_refund_mark_sent(due=due, actor=provider)
    [second] = manual_refund_mark_sent(due=PaymentEvent.objects.get(pk=due.pk), actor=provider)

    assert first.pk == second.pk
    assert PaymentEvent.objects.filter(payment__booking=booking, kind="refunded").count() == 1
    assert booking_money(booking).refunded == PRICE


@pytest.mark.parametrize("who", ["client_user", "stranger", "staff_user"])
def test_only_the_provider_can_mark_a_refund_sent(request, client_user, provider, service, who):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    act(booking, "cancel", provider)
    [due] = refunds_due(booking)
    with pytest.raises(PaymentError) as excinfo:
        manual_refund_mark_sent(due=due, actor=request.getfixturevalue(who))
    assert excinfo.value.code == "not_your_refund"
    assert booking_money(booking).refund_pending == PRICE


def test_card_refunds_cannot_be_marked_sent_by_hand(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    Payment.objects.filter(booking=booking).update(method="stripe")
    act(booking, "cancel", provider)
    [due] = refunds_due(booking)
    with pytest.raises(PaymentError) as excinfo:
        manual_refund_mark_sent(due=due, actor=provider)
    assert excinfo.value.code == "not_manual"
    assert booking_money(booking).refunded == 0


# --- refund_record ------------------------------------------------------------------------------


def test_refund_record_refuses_more_than_is_refundable(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    payment = Payment.objects.get(booking=booking)
    for amount in (PRICE + 1, 0):
        with pytest.raises(RefundTooLarge):
            refund_record(payment=payment, amount_minor=amount, note="too much")
    assert ledger(booking) == [("captured", PRICE)]

    refund_record(payment=payment, amount_minor=60_000, note="goodwill")
    with pytest.raises(RefundTooLarge) as excinfo:
        refund_record(payment=payment, amount_minor=40_001, note="too much")
    assert excinfo.value.code == "refund_too_large"
    assert "400.00" in str(excinfo.value)
    refund_record(payment=payment, amount_minor=40_000, note="the rest")
    assert ledger(booking) == [("captured", PRICE), ("refund_due", 60_000), ("refund_due", 40_000)]


def test_refund_record_on_an_unpaid_payment_is_refused(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    payment = Payment.objects.create(
        booking=booking,
        kind="full",
        method="stripe",
        amount_minor=PRICE,
        currency="EUR",
        fee_minor=10_000,
        status="pending",
        idempotency_key="pending-checkout",
    )
    with pytest.raises(RefundTooLarge):
        refund_record(payment=payment, amount_minor=1, note="nothing was paid")
    assert ledger(booking) == []


# --- Totals from the ledger ---------------------------------------------------------------------


def test_totals_for_a_half_refund(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(10))
    before = booking_money(booking)
    assert (before.refund_percent_now, before.refund_now) == (50, 50_000)  # what the cancel page promises

    booking = act(booking, "cancel", client_user)
    money = booking_money(booking)
    assert (money.paid, money.refunds, money.refunded, money.refund_pending) == (PRICE, 50_000, 0, 50_000)
    assert (money.kept, money.fee, money.payout) == (50_000, 5_000, 45_000)
    assert (money.refund_percent_now, money.refund_now, money.due_now) == (None, None, [])

    manual_refund_mark_sent(due=money.pending_refunds[0].first, actor=provider)
    money = booking_money(booking)
    assert (money.refunded, money.refund_pending, money.kept, money.payout) == (50_000, 0, 50_000, 45_000)


def test_totals_come_from_the_ledger_not_the_payment_rows(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    Payment.objects.filter(booking=booking).update(amount_minor=1, fee_minor=0)
    money = booking_money(booking)
    assert (money.paid, money.kept, money.fee, money.payout) == (PRICE, PRICE, 10_000, 90_000)


def test_ledger_entries_cannot_be_changed(client_user, provider, service):
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    entry = PaymentEvent.objects.get(payment__booking=booking)
    entry.amount_minor = 1
    with pytest.raises(ValueError):
        entry.save()
    assert ledger(booking) == [("captured", PRICE)]


def test_the_fees_on_deposit_and_balance_add_up_to_the_fee_on_the_price(client_user, provider):
    """Each payment's fee is rounded on its own: 4,501.5 → 4,502 on the deposit and 10,503.5 → 10,504 on
    the balance make 15,006, one cent more than the 10 % of 150,050 (15,005) the booking page shows."""
    service = make_service(provider, title="Odd price", price_minor=150_050, deposit_percent=30)
    booking = make_booking(client=client_user, service=service, to_state="deposit_paid")
    booking = act(booking, "mark_paid", provider)

    money = booking_money(booking)
    assert (money.paid, money.fee, money.price_fee) == (150_050, 15_005, 15_005)
    receipts = list(Payment.objects.filter(booking=booking).values_list("kind", "amount_minor"))
    assert receipts == [("deposit", 45_015), ("balance", 105_035)]
    assert sum(Payment.objects.filter(booking=booking).values_list("fee_minor", flat=True)) == money.fee


def test_the_cancellation_email_says_what_is_refunded(
    client_user, provider, mailoutbox, django_capture_on_commit_callbacks
):
    service = make_service(provider, price_minor=100000)
    booking = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(10))
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_transition(booking=booking, action="cancel", actor=client_user)
    tasks_run()
    [email] = mailoutbox  # to the provider, who has to send the money back
    assert email.to == [provider.email]
    assert "Refund to Carla Client: €500. Client cancelled: 50 % back under the cancellation policy." in email.body
    assert "Pete Provider returns it by bank transfer or cash" in email.body
    assert "€500" in email.alternatives[0][0]


def test_one_cancellation_is_one_refund_to_mark_sent(
    client_user, provider, mailoutbox, django_capture_on_commit_callbacks
):
    """Deposit and balance paid, then cancelled: two refund rows (one per payment) but one
    transfer to the client, shown and marked sent together."""
    service = make_service(provider, price_minor=PRICE, deposit_percent=30)
    booking = make_booking(client=client_user, service=service, to_state="deposit_paid")
    booking = act(booking, "mark_paid", provider)
    act(booking, "cancel", provider)
    [group] = booking_money(booking).pending_refunds
    assert group.amount_minor == PRICE and group.method == "manual"
    assert PaymentEvent.objects.filter(payment__booking=booking, kind="refund_due").count() == 2

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = manual_refund_mark_sent(due=group.first, actor=provider)
        manual_refund_mark_sent(due=group.first, actor=provider)  # a second click: no second email

    assert sorted(e.amount_minor for e in sent) == [30_000, 70_000]
    assert booking_money(booking).pending_refunds == []
    [email] = mailoutbox  # one transfer, one email to the client
    assert (
        email.to == [client_user.email]
        and email.subject == "[GigSta] Your refund for Wedding band for your first dance"
    )
    assert "Pete Provider has sent you a refund of €1,000" in email.body and booking.reference in email.body
