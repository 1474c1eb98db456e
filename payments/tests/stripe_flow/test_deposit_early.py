"""Deposits paid out before the gig: a service may say so, its bookings copy it, and the timers
then pay the deposit out as soon as it is captured, once; the payout after the dispute window pays
only the rest, and the two add up to one payout's worth to the cent. A refund after the early
payout takes the deposit back from the provider first. The ledger always equals FakeStripe's
balance."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import session_queries
from bookings.services import booking_request
from bookings.state_machine import State
from bookings.terms import platform_fee
from bookings.tests.factories import at, make_booking
from catalog.services import service_update
from catalog.tests.factories import make_service, service_data
from gigsta.tests.helpers import tasks_run
from payments.earnings import earnings_of
from payments.models import PaymentEvent, PayoutAccount
from payments.selectors import booking_money
from payments.services.payouts import payout_release, payouts_release
from payments.tests.fake_stripe_connect import TRANSFERS
from payments.tests.stripe_flow.helpers import PRICE, Kind, intent_of, ledger, posts

pytestmark = pytest.mark.django_db
DEPOSIT = PRICE * 30 // 100  # 450.00 EUR
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


@pytest.fixture(autouse=True)
def _fee(settings):
    settings.PLATFORM_FEE_PERCENT = 10


def timers(now: dt.datetime | None = None) -> int:
    """The timers as the scheduler runs them, then the worker."""
    released = payouts_release(now=now or dt.datetime.now(dt.UTC))
    tasks_run()
    return released


@pytest.fixture
def early(book):
    """A card booking accepted on a service that pays its 30 % deposit out before the gig."""
    return book(days=30, deposit_percent=30, deposit_paid_early=True)


def test_the_deposit_is_paid_out_once_as_soon_as_it_is_captured(early, pay, fake_stripe, provider):
    booking = pay(early, "deposit").booking
    assert booking.state == State.DEPOSIT_PAID
    assert booking_money(booking).hold.kind == "deposit_releasing"
    assert timers() == 1
    assert timers() == 0  # the next minute's timers: nothing more
    (transfer,) = fake_stripe.transfers.values()
    account = PayoutAccount.objects.get(provider=provider)
    share = DEPOSIT - platform_fee(DEPOSIT, 1000)
    assert (transfer["amount"], transfer["destination"]) == (share, account.stripe_account_id)
    assert [e.kind for e in ledger(booking)][-2:] == [Kind.PAYOUT_DUE, Kind.PAID_OUT]
    assert "before the gig" in ledger(booking, Kind.PAYOUT_DUE)[0].note
    assert fake_stripe.balance() == ledger_balance() == DEPOSIT - share
    hold = booking_money(booking).hold
    assert (hold.kind, hold.paid_out_minor, hold.amount_minor) == ("deposit_paid_out", share, 0)
    assert hold.until == booking.payout_release_at


def test_without_the_setting_the_deposit_waits_for_the_window(book, pay, fake_stripe):
    booking = pay(book(days=30, deposit_percent=30), "deposit").booking
    assert timers() == 0
    assert fake_stripe.transfers == {}
    assert booking_money(booking).hold.kind == "held"


def test_a_payment_in_full_is_not_paid_out_early(early, pay, fake_stripe):
    booking = pay(early, "full").booking
    assert timers() == 0
    assert fake_stripe.transfers == {}
    assert booking_money(booking).hold.kind == "held"


def test_after_the_window_only_the_rest_goes_and_the_fees_add_up_to_the_cent(book, pay, act, provider, fake_stripe):
    price = 100_005  # rounding each payment's fee on its own would take 100.00, not 100.01
    booking = pay(book(days=30, deposit_percent=33, deposit_paid_early=True, price_minor=price), "deposit").booking
    timers()
    booking = pay(booking, "balance").booking
    assert timers() == 0  # the balance waits for the window
    booking = act(booking, "complete", provider, now=booking.starts_at + dt.timedelta(hours=1))
    assert timers(booking.payout_release_at - dt.timedelta(minutes=1)) == 0
    assert timers(booking.payout_release_at) == 1
    assert timers(booking.payout_release_at + dt.timedelta(days=1)) == 0
    deposit_out, rest_out = (t["amount"] for t in fake_stripe.transfers.values())
    fee = platform_fee(price, 1000)
    assert deposit_out + rest_out == price - fee == booking_money(booking).payout
    assert (deposit_out, rest_out) == (29_702, 60_302)
    assert fake_stripe.balance() == ledger_balance() == fee
    hold = booking_money(booking).hold
    assert (hold.kind, hold.amount_minor) == ("paid_out", price - fee)


def test_the_rest_is_held_until_the_window_while_the_deposit_is_out(early, pay, fake_stripe):
    booking = pay(early, "deposit").booking
    timers()
    booking = pay(booking, "balance").booking
    share = DEPOSIT - platform_fee(DEPOSIT, 1000)
    hold = booking_money(booking).hold
    assert (hold.kind, hold.paid_out_minor) == ("deposit_paid_out", share)
    assert hold.amount_minor == PRICE - platform_fee(PRICE, 1000) - share
    assert fake_stripe.balance() == ledger_balance() == PRICE - share


def test_a_full_refund_after_the_early_payout_reverses_the_deposit_first(early, pay, act, client_user, fake_stripe):
    booking = pay(early, "deposit").booking
    timers()
    booking = act(booking, "cancel", client_user)  # 30 days ahead: everything back
    (transfer,) = fake_stripe.transfers.values()
    assert transfer["reversals"]["data"][0]["amount"] == DEPOSIT - platform_fee(DEPOSIT, 1000)
    kinds = [t["type"] for t in fake_stripe.balance_transactions]
    assert kinds[-2:] == ["transfer_refund", "refund"]  # reversed before refunded
    assert fake_stripe.balance() == ledger_balance() == 0
    assert booking_money(booking).hold is None  # nothing left anywhere
    assert timers(booking.payout_release_at) == 0


def test_a_partial_refund_after_the_early_payout_takes_back_only_what_the_provider_no_longer_keeps(
    book, pay, act, client_user, fake_stripe
):
    booking = pay(book(days=10, deposit_percent=30, balance_due_days=3, deposit_paid_early=True), "deposit").booking
    timers()
    booking = act(booking, "cancel", client_user)  # 10 days ahead: half back
    kept = DEPOSIT // 2
    (transfer,) = fake_stripe.transfers.values()
    share_before, share_now = DEPOSIT - platform_fee(DEPOSIT, 1000), kept - platform_fee(kept, 1000)
    assert transfer["reversals"]["data"][0]["amount"] == share_before - share_now
    assert fake_stripe.balance() == ledger_balance() == platform_fee(kept, 1000)
    hold = booking_money(booking).hold
    assert (hold.kind, hold.amount_minor) == ("paid_out", share_now)
    assert timers(booking.payout_release_at) == 0  # the cancelled booking's payout went already


def test_a_dispute_refunded_by_staff_takes_the_early_deposit_back_first(
    early, pay, act, client, client_user, provider, staff_user, fake_stripe
):
    booking = pay(early, "deposit").booking
    timers()
    booking = pay(booking, "balance").booking
    after = booking.starts_at + dt.timedelta(hours=4)
    booking = act(booking, "complete", provider, now=after)
    booking = act(booking, "dispute", client_user, now=after, note="They played for twenty minutes.")
    assert booking_money(booking).hold.kind == "held_dispute"
    assert booking_money(booking).hold.amount_minor == PRICE - platform_fee(PRICE, 1000) - 40_500  # the rest only
    assert "your deposit went to Pete Provider before the gig, as their terms say; GigSta holds the rest" in page_for(
        client, client_user, booking
    )
    booking = act(booking, "resolve_refund", staff_user, note="Refunded in full.")
    (transfer,) = fake_stripe.transfers.values()
    assert transfer["reversals"]["data"][0]["amount"] == 40_500
    assert fake_stripe.balance() == ledger_balance() == 0
    assert timers(booking.payout_release_at) == 0


def test_a_refund_decided_while_the_transfer_waited_sends_nothing(
    early, pay, act, client_user, fake_stripe, post_webhook
):
    account = PayoutAccount.objects.get()
    post_webhook(fake_stripe.account_event(account.stripe_account_id, "account.application.deauthorized"))
    booking = pay(early, "deposit").booking
    assert timers() == 1
    assert booking_money(booking).hold.kind == "waiting_account"
    booking = act(booking, "cancel", client_user)  # everything back, before any transfer
    post_webhook(fake_stripe.onboard(account.stripe_account_id))
    tasks_run()
    assert posts(fake_stripe, TRANSFERS) == []
    assert fake_stripe.balance() == ledger_balance() == 0
    assert ledger(booking, Kind.PAID_OUT)[0].amount_minor == 0
    assert booking_money(booking).hold is None


def test_a_chargeback_freezes_the_early_deposit(early, pay, deliver, fake_stripe):
    payment = pay(early, "deposit")
    deliver(fake_stripe.dispute(intent_of(fake_stripe, payment)))
    assert timers() == 0
    assert fake_stripe.transfers == {}
    assert booking_money(payment.booking).hold.kind == "frozen"


def test_a_disputed_booking_does_not_pay_its_deposit_out(early, pay, act, client_user, provider, fake_stripe):
    booking = pay(early, "deposit").booking
    booking = pay(booking, "balance").booking
    booking = act(booking, "dispute", client_user, now=booking.starts_at + dt.timedelta(hours=3), note="No-show.")
    assert payout_release(booking=booking, now=booking.payout_release_at) == []
    assert timers() == 0
    assert fake_stripe.transfers == {}


def test_the_setting_is_copied_at_request_and_a_later_edit_does_not_change_it(provider, client_user, fake_stripe, pay):
    service = make_service(provider, price_minor=PRICE, deposit_percent=30, deposit_paid_early=True)
    booking = make_booking(client=client_user, service=service, to_state="accepted", starts_at=at(30))
    assert booking.deposit_paid_early
    service_update(service=service, actor=provider, data=service_data(price_minor=PRICE, deposit_percent=30))
    service.refresh_from_db()
    assert not service.deposit_paid_early
    later = booking_request(client=client_user, service=service, starts_at=at(40), venue="The Hall")
    assert not later.deposit_paid_early
    booking.refresh_from_db()
    assert booking.deposit_paid_early  # the promise made stays
    pay(booking, "deposit")
    assert timers() == 1


def test_a_service_without_a_deposit_copies_no_early_payout(book):
    booking = book(days=30, deposit_percent=0)
    assert not booking.deposit_paid_early


# The earnings page: the deposit paid out early is a payout sent on its day; the rest is upcoming
# on the date the timers use.


def test_the_earnings_page_shows_the_early_deposit_paid_out_and_the_rest_upcoming(
    early, pay, provider, client, django_assert_num_queries, settings
):
    booking = pay(early, "deposit").booking
    timers()
    booking = pay(booking, "balance").booking
    share = DEPOSIT - platform_fee(DEPOSIT, 1000)
    rest = PRICE - platform_fee(PRICE, 1000) - share
    data = earnings_of(provider, now=timezone.now())
    (total,) = data.totals
    assert (total.paid_out, total.held) == (share, rest)
    (upcoming,) = data.upcoming
    assert (upcoming.release_at, upcoming.hold.amount_minor) == (booking.payout_release_at, rest)
    statuses = [(m.kind, m.status) for m in data.movements if m.kind in (Kind.CAPTURED, Kind.PAID_OUT)]
    assert statuses == [(Kind.CAPTURED, "paid out"), (Kind.PAID_OUT, "sent"), (Kind.CAPTURED, "held by GigSta")]
    client.force_login(provider)
    with django_assert_num_queries(session_queries(settings) + 4):  # as for any card booking
        text = text_of(client.get(reverse("payments:earnings")))
    paid_on = f"{ledger(booking, Kind.PAID_OUT)[0].created_at.astimezone(timezone.get_current_timezone()):%-d %b %Y}"
    assert f"(the deposit, €405, was paid out on {paid_on})" in text
    assert "A deposit your service pays out before the gig goes within a day of being paid." in text
    assert timers(booking.payout_release_at) == 0  # not completed: nothing more yet


def test_the_payouts_page_says_the_deposit_went_and_the_balance_is_to_come(early, pay, provider, client):
    booking = pay(early, "deposit").booking
    timers()
    client.force_login(provider)
    text = text_of(client.get(reverse("payments:payouts")))
    paid_on = f"{ledger(booking, Kind.PAID_OUT)[0].created_at:%-d %b %Y}"
    assert f"Deposit paid out {paid_on}; the balance is not paid yet" in text


# Honest words on the booking page, for both parties, at each step.


def text_of(response) -> str:
    inline = re.sub(r"</?(strong|a)\b[^>]*>", "", response.content.decode())  # words, not layout
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline))


def page_for(client, user, booking) -> str:
    client.force_login(user)
    return text_of(client.get(reverse("bookings:detail", args=[booking.public_id])))


def test_before_paying_both_sides_read_that_the_deposit_goes_early(early, client, client_user, provider):
    until = f"{early.payout_release_at:%-d %b %Y}"
    assert (
        "If you pay the deposit on its own, GigSta pays it on to Pete Provider within a day, as their terms say; "
        f"it holds the rest of your payment until {until}, 14 days after the gig, then pays Pete Provider."
    ) in page_for(client, client_user, early)
    assert (
        "A deposit paid on its own goes to you, less GigSta\u2019s fee, within a day, as your service\u2019s terms "
        f"say; GigSta holds the rest until {until} and then pays you out."
    ) in page_for(client, provider, early)


def test_once_the_balance_is_due_only_the_usual_hold_is_promised(book, client, client_user):
    booking = book(days=10, deposit_percent=30, deposit_paid_early=True)  # balance due 14 days before
    text = page_for(client, client_user, booking)
    assert "GigSta holds your payment until" in text
    assert "within a day" not in text


def test_after_the_deposit_is_paid_the_page_says_it_is_on_its_way_then_that_it_went(
    early, pay, client, client_user, provider
):
    booking = pay(early, "deposit").booking
    until = f"{booking.payout_release_at:%-d %b %Y}"
    assert "GigSta pays Carla Client\u2019s deposit, less its fee, to your Stripe account within a day" in page_for(
        client, provider, booking
    )
    assert (
        "GigSta pays your deposit on to Pete Provider within a day, as their terms say; "
        f"the balance, once you pay it, GigSta holds until {until}, then pays Pete Provider."
    ) in page_for(client, client_user, booking)
    timers()
    paid_on = f"{ledger(booking, Kind.PAID_OUT)[0].created_at:%-d %b %Y}"
    assert (
        f"GigSta paid the deposit, €405, to your Stripe account on {paid_on}; the balance, once Carla Client pays "
        f"it, GigSta holds and pays you out on {until}, 14 days after the gig."
    ) in page_for(client, provider, booking)
    booking = pay(booking, "balance").booking
    assert (
        f"GigSta paid your deposit on to Pete Provider on {paid_on}, as their terms say; it holds the rest of your "
        f"payment until {until}, then pays Pete Provider."
    ) in page_for(client, client_user, booking)
    assert (
        f"GigSta paid the deposit, €405, to your Stripe account on {paid_on}; it holds the rest and pays you €945 "
        f"on {until}, 14 days after the gig."
    ) in page_for(client, provider, booking)


def test_the_deposit_email_says_it_goes_on_to_the_provider_and_the_balance_email_says_it_is_held(early, pay):
    booking = pay(early, "deposit").booking
    tasks_run()
    received = [m for m in mail.outbox if "Received:" in m.body]
    assert received and "GigSta pays this deposit on to Pete Provider within a day" in received[-1].body
    assert "GigSta holds it until" not in received[-1].body
    mail.outbox.clear()
    pay(booking, "balance")
    tasks_run()
    received = [m for m in mail.outbox if "Received:" in m.body]
    assert received and f"GigSta holds it until {booking.payout_release_at:%-d %B %Y}" in received[-1].body


def test_the_booking_form_says_what_happens_to_the_deposit(provider, client, client_user, fake_stripe):
    client.force_login(client_user)
    early_service = make_service(provider, title="Early", deposit_percent=30, deposit_paid_early=True)
    text = text_of(client.get(reverse("bookings:new", args=[early_service.public_id])))
    assert (
        "GigSta pays the deposit on to Pete Provider within a day of your paying it, as their terms say; it holds "
        "the rest of your payment until 14 days after the gig, then pays Pete Provider. If you cancel and are due "
        "a refund of the deposit, GigSta takes it back from them first."
    ) in text
    usual = make_service(provider, title="Usual", deposit_percent=30)
    text = text_of(client.get(reverse("bookings:new", args=[usual.public_id])))
    assert "GigSta holds your card payment until 14 days after the gig, then pays Pete Provider." in text
    assert "within a day" not in text


def test_the_pay_page_says_which_choice_pays_the_deposit_out_early(early, client, client_user):
    client.force_login(client_user)
    text = text_of(client.get(reverse("payments:pay", args=[early.public_id])))
    until = f"{early.payout_release_at:%-d %b %Y}"
    assert (
        "GigSta pays the deposit on to Pete Provider within a day, as their terms say; "
        f"it holds the rest until {until}."
    ) in text
    assert f"Paid in full, GigSta holds all of it until {until}." in text


def test_the_payouts_page_tells_providers_about_early_deposits(provider, client, fake_stripe):
    client.force_login(provider)
    text = text_of(client.get(reverse("payments:payouts")))
    assert "A service set to pay its deposit out before the gig gets a deposit paid on its own within a day." in text
