"""Webhooks for payments that no longer fit the booking: paid after it closed, or paid twice from
two tabs, is refunded; a payment closes the other open checkouts."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_transition
from bookings.state_machine import State
from payments.models import Payment
from payments.tests.fake_stripe import SESSIONS
from payments.tests.stripe_flow.helpers import PRICE, Kind, actions, intent_of, ledger, net_paid

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("how", ["withdraw", "expire"])
def test_a_payment_after_the_booking_closed_is_refunded_in_full(fake_stripe, book, checkout, deliver, client_user, how):
    booking = book()
    payment = checkout(booking, "full")
    if how == "withdraw":
        booking_transition(booking=booking, action="withdraw", actor=client_user)
    else:
        booking_transition(booking=booking, action="expire", actor=None, now=timezone.now() + dt.timedelta(days=4))
    closed = Booking.objects.get(pk=booking.pk).state
    completed, succeeded = fake_stripe.complete(payment.provider_reference)

    first, second = deliver(completed), deliver(succeeded)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["outcome"] == f"captured, but the booking is {closed}: refunded"
    assert second.json()["outcome"] == "already captured"
    [captured] = ledger(booking, Kind.CAPTURED)
    [due] = ledger(booking, Kind.REFUND_DUE)
    [refunded] = ledger(booking, Kind.REFUNDED)
    assert captured.amount_minor == due.amount_minor == refunded.amount_minor == PRICE
    assert refunded.settles == due and due.booking_event is None
    [stripe_refund] = fake_stripe.refunds.values()
    assert stripe_refund["payment_intent"] == intent_of(fake_stripe, payment)
    assert stripe_refund["amount"] == PRICE and refunded.provider_reference == stripe_refund["id"]
    assert stripe_refund["metadata"] == {"payment_id": str(payment.public_id), "refund_due_id": str(due.public_id)}
    booking.refresh_from_db()
    assert booking.state == closed
    assert "confirm_payment" not in actions(booking)
    assert net_paid(booking) == 0


@pytest.mark.parametrize("first_paid", ["deposit", "full"])
def test_two_tabs_paying_deposit_and_full_refund_the_second(fake_stripe, book, checkout, deliver, first_paid):
    booking = book(deposit_percent=25, balance_due_days=14)
    tabs = {"deposit": checkout(booking, "deposit"), "full": checkout(booking, "full")}
    second_paid = "full" if first_paid == "deposit" else "deposit"

    # Both paid at Stripe before either webhook arrives (so neither could close the other).
    events = [e for kind in (first_paid, second_paid) for e in fake_stripe.complete(tabs[kind].provider_reference)]
    for event in events:
        assert deliver(event).status_code == 200

    booking.refresh_from_db()
    assert booking.state == (State.DEPOSIT_PAID if first_paid == "deposit" else State.CONFIRMED)
    assert len(ledger(booking, Kind.CAPTURED)) == 2
    [due] = ledger(booking, Kind.REFUND_DUE)
    assert (due.payment, due.amount_minor) == (tabs[second_paid], tabs[second_paid].amount_minor)
    [stripe_refund] = fake_stripe.refunds.values()
    assert stripe_refund["payment_intent"] == intent_of(fake_stripe, tabs[second_paid])
    assert stripe_refund["amount"] == tabs[second_paid].amount_minor
    assert len(ledger(booking, Kind.REFUNDED)) == 1
    assert net_paid(booking) == tabs[first_paid].amount_minor
    confirmed = "confirm_deposit" if first_paid == "deposit" else "confirm_payment"
    assert [a for a in actions(booking) if a.startswith("confirm")] == [confirmed]


def test_a_payment_closes_the_other_open_checkouts(fake_stripe, book, checkout, deliver):
    """Once the deposit is paid, the "pay in full" tab's checkout is closed at Stripe, so it
    cannot take money that would only be refunded (Stripe keeps its fee on refunds)."""
    booking = book(deposit_percent=25, balance_due_days=14)
    deposit, full = checkout(booking, "deposit"), checkout(booking, "full")

    for event in fake_stripe.complete(deposit.provider_reference):
        deliver(event)

    assert fake_stripe.expired_by_api == [full.provider_reference]
    full.refresh_from_db()
    assert (full.status, full.checkout_url) == (Payment.Status.EXPIRED, "")
    assert [e.note for e in ledger(booking, Kind.FAILED)] == ["Card checkout expired unpaid"]
    with pytest.raises(ValueError, match="expired"):
        fake_stripe.complete(full.provider_reference)
    # Stripe's own expiry event arriving later changes nothing.
    assert deliver(fake_stripe.event("checkout.session.expired", fake_stripe.sessions[full.provider_reference]))
    assert len(ledger(booking, Kind.FAILED)) == 1


def test_withdrawing_closes_the_open_checkout(fake_stripe, book, checkout, act, client_user):
    booking = book()
    payment = checkout(booking, "full")

    act(Booking.objects.get(pk=booking.pk), "withdraw", client_user)

    assert fake_stripe.expired_by_api == [payment.provider_reference]
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.EXPIRED


def test_a_checkout_closes_at_the_payment_deadline(fake_stripe, book, checkout):
    """A deposit checkout closes when the balance falls due (after that only the whole price is
    due); otherwise a session stays open for just under Stripe's 24 hours."""
    starts = timezone.now() + dt.timedelta(days=14, hours=6)  # the balance is due in six hours
    booking = book(starts_at=starts, deposit_percent=25, balance_due_days=14)

    deposit = checkout(booking, "deposit")
    full = checkout(booking, "full")

    assert deposit.checkout_expires_at == booking.balance_due_at
    assert fake_stripe.sessions[deposit.provider_reference]["expires_at"] == int(booking.balance_due_at.timestamp())
    assert abs(full.checkout_expires_at - (timezone.now() + dt.timedelta(hours=23, minutes=55))) < dt.timedelta(
        minutes=1
    )


def test_after_a_refunded_second_tab_the_balance_is_still_due_and_payable(fake_stripe, book, checkout, deliver, pay):
    booking = book(deposit_percent=25, balance_due_days=14)
    deposit, full = checkout(booking, "deposit"), checkout(booking, "full")
    events = [e for payment in (deposit, full) for e in fake_stripe.complete(payment.provider_reference)]
    for event in events:
        deliver(event)
    assert Booking.objects.get(pk=booking.pk).state == State.DEPOSIT_PAID

    balance = pay(booking, "balance")

    assert balance.amount_minor == PRICE - deposit.amount_minor
    assert balance.status == Payment.Status.SUCCEEDED
    booking.refresh_from_db()
    assert booking.state == State.CONFIRMED
    assert net_paid(booking) == PRICE
    assert len(fake_stripe.refunds) == 1  # only the second tab's full payment


def test_a_declined_card_leaves_the_checkout_open(fake_stripe, book, checkout, deliver):
    """Stripe keeps a Checkout Session open after a declined card so the client can try
    another: the failure is acknowledged and the same checkout is offered again."""
    booking = book(deposit_percent=25, balance_due_days=14)
    first = checkout(booking, "deposit")
    declined = fake_stripe.event(
        "payment_intent.payment_failed",
        {
            "id": "pi_test_declined",
            "object": "payment_intent",
            "amount": first.amount_minor,
            "currency": "eur",
            "status": "requires_payment_method",
            "metadata": {"payment_id": str(first.public_id), "booking_id": str(booking.public_id)},
        },
    )
    assert deliver(declined).json()["outcome"] == "ignored"
    assert Payment.objects.get(pk=first.pk).status == Payment.Status.PENDING
    assert checkout(booking, "deposit").pk == first.pk
    assert fake_stripe.creations[SESSIONS] == 1


def test_a_deposit_paid_twice_leaves_the_true_balance_to_pay(fake_stripe, book, checkout, deliver, pay):
    """A checkout left open near the end of Stripe's 24 hours is replaced by a new one, and
    the client completes both. The second deposit is refunded, and the balance is the price
    minus one deposit, not two."""
    booking = book(deposit_percent=25, balance_due_days=14)
    first = checkout(booking, "deposit")
    Payment.objects.filter(pk=first.pk).update(checkout_expires_at=timezone.now() + dt.timedelta(minutes=5))
    second = checkout(booking, "deposit")
    assert second.pk != first.pk
    # Both paid at Stripe before either webhook arrives (so neither could close the other).
    events = [e for payment in (first, second) for e in fake_stripe.complete(payment.provider_reference)]
    for event in events:
        deliver(event)
    assert Booking.objects.get(pk=booking.pk).state == State.DEPOSIT_PAID
    [due] = ledger(booking, Kind.REFUND_DUE)
    assert due.payment == second

    balance = pay(booking, "balance")

    assert balance.amount_minor == PRICE - first.amount_minor
    booking.refresh_from_db()
    assert booking.state == State.CONFIRMED
    assert net_paid(booking) == PRICE


def test_a_deposit_then_the_balance_by_card_confirms(fake_stripe, book, pay):
    booking = book(deposit_percent=25, balance_due_days=14)

    deposit = pay(booking, "deposit")
    assert Booking.objects.get(pk=booking.pk).state == State.DEPOSIT_PAID
    balance = pay(booking, "balance")

    booking.refresh_from_db()
    assert booking.state == State.CONFIRMED
    assert actions(booking) == ["request", "accept", "confirm_deposit", "confirm_payment"]
    assert [(p.kind, p.amount_minor, p.status) for p in (deposit, balance)] == [
        ("deposit", 37500, "succeeded"),
        ("balance", 112500, "succeeded"),
    ]
    assert sum(e.amount_minor for e in ledger(booking, Kind.CAPTURED)) == PRICE
    assert net_paid(booking) == PRICE
    assert ledger(booking, Kind.REFUND_DUE) == [] and fake_stripe.refunds == {}


def test_a_second_balance_payment_is_refunded(fake_stripe, book, checkout, deliver, pay):
    booking = book(deposit_percent=25, balance_due_days=14)
    pay(booking, "deposit")
    first = checkout(booking, "balance")
    Payment.objects.filter(pk=first.pk).update(checkout_expires_at=timezone.now() + dt.timedelta(minutes=5))
    second = checkout(booking, "balance")  # the first session is still open at Stripe for a few minutes

    events = [e for payment in (first, second) for e in fake_stripe.complete(payment.provider_reference)]
    for event in events:
        deliver(event)

    booking.refresh_from_db()
    assert booking.state == State.CONFIRMED
    [due] = ledger(booking, Kind.REFUND_DUE)
    assert (due.payment, due.amount_minor) == (second, 112500)
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [112500]
    assert net_paid(booking) == PRICE
