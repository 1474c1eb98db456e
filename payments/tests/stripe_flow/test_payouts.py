"""Hold and release: a card booking's money stays on GigSta's Stripe balance until the gig is
completed and the dispute window has closed, then goes to the provider once; refunds after the
transfer reverse it first; chargebacks freeze it; dashboard refunds are read back. The ledger
always adds up to FakeStripe's balance transactions."""

import datetime as dt

import pytest
from django.urls import reverse

from bookings.state_machine import DISPUTE_WINDOW
from gigsta.tests.helpers import tasks_failed, tasks_run
from payments.models import PaymentEvent, PayoutAccount
from payments.selectors import booking_money
from payments.services.payouts import payouts_release
from payments.services.refunds import refund_record
from payments.tests.fake_stripe_connect import TRANSFERS
from payments.tests.stripe_flow.helpers import PRICE, Kind, intent_of, ledger, posts

pytestmark = pytest.mark.django_db
FEE = PRICE // 10  # 10 % of 1,500.00 EUR
MINUTE = dt.timedelta(minutes=1)
# Money on GigSta's Stripe balance, per ledger line.
SIGNS = {
    Kind.CAPTURED: 1,
    Kind.REFUNDED: -1,
    Kind.PAID_OUT: -1,
    Kind.PAYOUT_REVERSED: 1,
    Kind.CHARGEBACK: -1,
    Kind.CHARGEBACK_WON: 1,
}


def ledger_balance() -> int:
    entries = PaymentEvent.objects.filter(payment__method="stripe")
    return sum(SIGNS.get(e.kind, 0) * e.amount_minor for e in entries)


@pytest.fixture
def completed(book, pay, act, provider, manual_terms_off):
    """A card booking paid in full and completed by the provider after the gig."""
    booking = pay(book(days=20))
    booking.booking.refresh_from_db()
    return act(booking.booking, "complete", provider, now=booking.booking.starts_at + dt.timedelta(hours=1))


@pytest.fixture
def manual_terms_off(settings):
    settings.PLATFORM_FEE_PERCENT = 10


def release(booking, after=MINUTE) -> int:
    released = payouts_release(now=booking.payout_release_at + after)
    tasks_run()
    return released


def test_the_money_stays_on_gigsta_until_the_dispute_window_has_closed(completed, fake_stripe):
    assert payouts_release(now=completed.ends_at + DISPUTE_WINDOW - MINUTE) == 0
    assert fake_stripe.transfers == {}
    assert fake_stripe.balance() == PRICE
    hold = booking_money(completed).hold
    assert (hold.kind, hold.until, hold.amount_minor) == ("held", completed.payout_release_at, PRICE - FEE)


def test_after_the_window_the_provider_is_paid_their_share_once(completed, fake_stripe, provider):
    assert release(completed) == 1
    assert release(completed, after=dt.timedelta(days=1)) == 0  # the next minute's timers: nothing more
    (transfer,) = fake_stripe.transfers.values()
    account = PayoutAccount.objects.get(provider=provider)
    assert (transfer["amount"], transfer["destination"]) == (PRICE - FEE, account.stripe_account_id)
    assert transfer["transfer_group"] == str(completed.public_id)
    assert [e.kind for e in ledger(completed)][-2:] == [Kind.PAYOUT_DUE, Kind.PAID_OUT]
    assert fake_stripe.balance() == FEE == ledger_balance()  # GigSta keeps its fee
    hold = booking_money(completed).hold
    assert (hold.kind, hold.amount_minor) == ("paid_out", PRICE - FEE)


def test_a_replayed_transfer_task_pays_nothing_twice(completed, fake_stripe):
    release(completed)
    due = PaymentEvent.objects.get(kind=Kind.PAYOUT_DUE)
    from payments.services.payouts import payout_send

    payout_send.enqueue(due.pk)
    tasks_run()
    assert len(fake_stripe.transfers) == 1
    assert len(posts(fake_stripe, TRANSFERS)) == 1


def test_a_transfer_failing_at_stripe_is_retried_and_listed_for_staff(completed, fake_stripe, client, staff_user):
    fake_stripe.fail_next(TRANSFERS, times=3)  # the library itself tries three times
    release(completed)
    assert fake_stripe.transfers == {} and len(tasks_failed()) == 1
    client.force_login(staff_user)
    page = client.get(reverse("admin:payments_paymentevent_changelist") + "?unsent=payout").content.decode()
    assert "Payout of the full price after the dispute window" in page
    tasks_run(later=dt.timedelta(minutes=2))  # the retry
    assert len(fake_stripe.transfers) == 1
    assert fake_stripe.balance() == FEE == ledger_balance()


def test_a_disconnected_provider_s_payout_waits_and_goes_when_payouts_are_back(
    completed, fake_stripe, provider, post_webhook
):
    account = PayoutAccount.objects.get(provider=provider)
    post_webhook(fake_stripe.account_event(account.stripe_account_id, "account.application.deauthorized"))
    release(completed)
    assert fake_stripe.transfers == {}
    assert booking_money(completed).hold.kind == "waiting_account"
    post_webhook(fake_stripe.onboard(account.stripe_account_id))
    tasks_run()
    assert len(fake_stripe.transfers) == 1
    assert fake_stripe.balance() == FEE == ledger_balance()


def test_a_chargeback_freezes_the_payout_and_opens_a_staff_case(completed, fake_stripe, deliver, client, staff_user):
    payment = completed.payments.get()
    response = deliver(fake_stripe.dispute(intent_of(fake_stripe, payment)))
    assert response.json()["outcome"] == "chargeback recorded; payout frozen"
    assert release(completed) == 0
    assert fake_stripe.transfers == {}
    assert booking_money(completed).hold.kind == "frozen"
    client.force_login(staff_user)
    assert "open: payout frozen" in client.get(reverse("admin:payments_chargeback_changelist")).content.decode()
    assert fake_stripe.balance() == 0 == ledger_balance()


def test_a_chargeback_won_lets_the_payout_go(completed, fake_stripe, deliver):
    payment = completed.payments.get()
    dispute = fake_stripe.dispute(intent_of(fake_stripe, payment))
    deliver(dispute)
    deliver(fake_stripe.dispute_close(dispute["data"]["object"]["id"], won=True))
    assert release(completed) == 1
    assert fake_stripe.balance() == FEE == ledger_balance()


def test_a_refund_after_the_payout_takes_the_provider_s_part_back_first(completed, fake_stripe):
    release(completed)
    payment = completed.payments.get()
    due = refund_record(payment=payment, amount_minor=50_000, note="Partly refunded by staff")
    from payments.services.refunds import refund_send

    refund_send(due)
    (transfer,) = fake_stripe.transfers.values()
    reversal = transfer["reversals"]["data"][0]
    assert reversal["amount"] == 50_000 - 5_000  # the provider's share of the refund; GigSta gives up its fee
    kinds = [t["type"] for t in fake_stripe.balance_transactions]
    assert kinds[-2:] == ["transfer_refund", "refund"]  # reversed before refunded
    assert fake_stripe.balance() == ledger_balance() == FEE - 5_000


def test_a_refund_made_in_the_stripe_dashboard_is_read_into_the_ledger(completed, fake_stripe, deliver):
    release(completed)
    payment = completed.payments.get()
    event = fake_stripe.refund_in_dashboard(intent_of(fake_stripe, payment), 30_000)
    assert deliver(event).json()["outcome"] == "1 refunds recorded"
    assert deliver(event).json()["outcome"] == "duplicate"
    tasks_run()
    assert [e.amount_minor for e in ledger(completed, Kind.REFUNDED)] == [30_000]
    assert fake_stripe.balance() == ledger_balance()
    (transfer,) = fake_stripe.transfers.values()
    assert transfer["amount_reversed"] == 27_000


def test_our_own_refunds_are_not_recorded_twice_from_charge_refunded(completed, fake_stripe, deliver):
    payment = completed.payments.get()
    from payments.services.refunds import refund_send

    refund_send(refund_record(payment=payment, amount_minor=10_000, note="Goodwill"))
    intent = intent_of(fake_stripe, payment)
    deliver(fake_stripe.event("charge.refunded", fake_stripe.charge_of(intent)))
    assert [e.amount_minor for e in ledger(completed, Kind.REFUNDED)] == [10_000]
    assert fake_stripe.balance() == ledger_balance() == PRICE - 10_000


def test_a_chargeback_on_a_charge_gigsta_did_not_make_is_ignored(fake_stripe, deliver, book, pay):
    pay(book(days=20))
    fake_stripe.payment_intents["pi_test_elsewhere"] = {
        "id": "pi_test_elsewhere",
        "amount_received": 500,
        "currency": "eur",
        "latest_charge": "ch_test_elsewhere",
        "metadata": {},
    }
    fake_stripe.refunded["pi_test_elsewhere"] = 0
    response = deliver(fake_stripe.dispute("pi_test_elsewhere"))
    assert (response.status_code, response.json()["outcome"]) == (200, "ignored: not a GigSta payment")
    assert not PaymentEvent.objects.filter(kind=Kind.CHARGEBACK).exists()
