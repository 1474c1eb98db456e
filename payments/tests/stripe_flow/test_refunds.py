"""Card refunds: by the cancellation policy, in full on a provider's cancel or a dispute, sent to
Stripe once even when it is down, and left to a person once retrying is no longer safe."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import auth
from bookings.models import Booking
from bookings.state_machine import State
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from gigsta.tasks import ATTEMPTS, retry_delay
from gigsta.tests.helpers import tasks_failed, tasks_run
from payments import stripe_gateway
from payments.errors import RefundTooLarge
from payments.models import PaymentEvent
from payments.services.refunds import refund_record, refund_send
from payments.tests.fake_stripe import REFUNDS
from payments.tests.stripe_flow.helpers import PRICE, Kind, ledger, net_paid, posts

pytestmark = pytest.mark.django_db


def _sent(fake) -> list[int]:
    return sorted(r["amount"] for r in fake.refunds.values())


@pytest.mark.parametrize(
    ("notice", "percent"),
    [
        (dt.timedelta(days=30), 100),
        (dt.timedelta(days=14, hours=1), 100),
        (dt.timedelta(days=14) - dt.timedelta(hours=1), 50),
        (dt.timedelta(days=7, hours=1), 50),
        (dt.timedelta(days=7) - dt.timedelta(hours=1), 0),
        (dt.timedelta(days=2), 0),
    ],
)
def test_a_client_cancelling_is_refunded_by_the_policy(fake_stripe, book, pay, act, client_user, notice, percent):
    booking = book(starts_at=timezone.now() + notice)
    payment = pay(booking, "full")
    refunds_before = len(posts(fake_stripe, REFUNDS))

    booking = act(booking, "cancel", client_user)

    assert booking.state == State.CANCELLED
    expected = PRICE * percent // 100
    due = ledger(booking, Kind.REFUND_DUE)
    refunded = ledger(booking, Kind.REFUNDED)
    if expected:
        assert [(d.amount_minor, d.payment) for d in due] == [(expected, payment)]
        assert due[0].booking_event == booking.events.get(action="cancel")
        assert f"{percent} %" in due[0].note
        assert [(r.amount_minor, r.settles) for r in refunded] == [(expected, due[0])]
        assert _sent(fake_stripe) == [expected]
        [stripe_refund] = fake_stripe.refunds.values()
        assert stripe_refund["payment_intent"] == payment.payment_intent
    else:
        assert due == [] and refunded == []
        assert fake_stripe.refunds == {}
        assert len(posts(fake_stripe, REFUNDS)) == refunds_before
    assert net_paid(booking) == PRICE - expected


def test_a_provider_cancelling_refunds_in_full_even_late(fake_stripe, book, pay, act, provider, mailoutbox):
    booking = book(days=2)
    pay(booking, "full")
    mailoutbox.clear()

    booking = act(booking, "cancel", provider)

    assert booking.state == State.CANCELLED
    assert [d.amount_minor for d in ledger(booking, Kind.REFUND_DUE)] == [PRICE]
    assert [r.amount_minor for r in ledger(booking, Kind.REFUNDED)] == [PRICE]
    assert _sent(fake_stripe) == [PRICE]
    refund_mail = [m for m in mailoutbox if m.subject.startswith("[GigSta] Your refund")]
    assert [m.to for m in refund_mail] == [[booking.client.email]]
    assert "We have refunded €1,500 to the card you paid with" in refund_mail[0].body


def test_a_refund_spans_deposit_and_balance_newest_first(fake_stripe, book, pay, act, provider, client_user):
    booking = book(days=10, deposit_percent=25, balance_due_days=7)
    deposit = pay(booking, "deposit")
    balance = pay(booking, "balance")

    booking = act(booking, "cancel", client_user)  # 10 days before: 50 % of 1,500.00

    [due] = ledger(booking, Kind.REFUND_DUE)
    assert (due.payment, due.amount_minor) == (balance, PRICE // 2)
    assert [(r["payment_intent"], r["amount"]) for r in fake_stripe.refunds.values()] == [
        (balance.payment_intent, PRICE // 2)
    ]
    assert deposit.payment_intent not in {r["payment_intent"] for r in fake_stripe.refunds.values()}


def test_a_provider_cancelling_a_deposit_and_balance_refunds_both(fake_stripe, book, pay, act, provider):
    booking = book(days=10, deposit_percent=25, balance_due_days=7)
    deposit = pay(booking, "deposit")
    balance = pay(booking, "balance")

    act(booking, "cancel", provider)

    refunds = {r["payment_intent"]: r["amount"] for r in fake_stripe.refunds.values()}
    assert refunds == {deposit.payment_intent: 37500, balance.payment_intent: 112500}
    assert len(ledger(booking, Kind.REFUNDED)) == 2
    assert net_paid(booking) == 0


def test_staff_resolving_a_dispute_refunds_in_full(fake_stripe, book, pay, act, client_user, staff_user):
    booking = book(days=5)
    payment = pay(booking, "full")
    during_gig = booking.starts_at + dt.timedelta(hours=1)
    act(booking, "dispute", client_user, now=during_gig)
    assert fake_stripe.refunds == {} and ledger(booking, Kind.REFUND_DUE) == []

    booking = act(booking, "resolve_refund", staff_user, now=during_gig + dt.timedelta(days=1), note="No show.")

    assert booking.state == State.REFUNDED
    [due] = ledger(booking, Kind.REFUND_DUE)
    assert (due.amount_minor, due.booking_event.action) == (PRICE, "resolve_refund")
    [refunded] = ledger(booking, Kind.REFUNDED)
    assert refunded.settles == due
    [stripe_refund] = fake_stripe.refunds.values()
    assert (stripe_refund["payment_intent"], stripe_refund["amount"]) == (payment.payment_intent, PRICE)


def test_a_refund_stays_due_while_stripe_is_down_and_the_retry_sends_it_once(fake_stripe, book, pay, act, provider):
    booking = book()
    pay(booking, "full")
    fake_stripe.fail_next(REFUNDS, times=3)

    booking = act(booking, "cancel", provider)

    assert booking.state == State.CANCELLED
    [due] = ledger(booking, Kind.REFUND_DUE)
    assert ledger(booking, Kind.REFUNDED) == []
    assert fake_stripe.refunds == {} and len(posts(fake_stripe, REFUNDS)) == 3
    assert [t.task_name for t in tasks_failed()] == ["refunds_send"]  # the first attempt, in the admin
    assert tasks_run() == 0  # the retry waits a minute: left for the worker's next look

    assert tasks_run(later=retry_delay(1)) == 1  # the retry

    [refunded] = ledger(booking, Kind.REFUNDED)
    assert (refunded.settles, refunded.amount_minor) == (due, PRICE)
    assert _sent(fake_stripe) == [PRICE]
    assert tasks_run(later=dt.timedelta(days=2)) == 0
    assert _sent(fake_stripe) == [PRICE] and len(ledger(booking, Kind.REFUNDED)) == 1


def test_sending_a_refund_twice_records_it_once(fake_stripe, book, pay, act, provider):
    booking = book()
    pay(booking, "full")
    fake_stripe.fail_next(REFUNDS, times=3)
    act(booking, "cancel", provider)
    [due] = ledger(booking, Kind.REFUND_DUE)
    stale = PaymentEvent.objects.get(pk=due.pk)

    first = refund_send(due)
    second = refund_send(stale)

    assert first is not None and first.kind == Kind.REFUNDED
    assert second is None
    assert len(ledger(booking, Kind.REFUNDED)) == 1
    assert len(fake_stripe.refunds) == 1 and fake_stripe.creations[REFUNDS] == 1


def test_a_refund_whose_answer_was_lost_is_replayed_by_stripe_not_sent_twice(fake_stripe, book, pay, act, provider):
    """Stripe refunded, but we never recorded it (the worker died): the next send carries the
    same idempotency key, so Stripe returns the first refund instead of refunding again."""
    booking = book()
    payment = pay(booking, "full")
    fake_stripe.fail_next(REFUNDS, times=3)
    act(booking, "cancel", provider)
    [due] = ledger(booking, Kind.REFUND_DUE)
    lost = stripe_gateway.refund_create(
        idempotency_key=f"refund-{due.public_id}",
        payment_intent=payment.payment_intent,
        amount_minor=PRICE,
        metadata={"payment_id": str(payment.public_id), "refund_due_id": str(due.public_id)},
    )

    refunded = refund_send(due)

    assert refunded.provider_reference == lost
    assert list(fake_stripe.refunds) == [lost] and fake_stripe.creations[REFUNDS] == 1
    assert fake_stripe.refunded[payment.payment_intent] == PRICE


def test_refund_record_refuses_more_than_remains_refundable(fake_stripe, book, pay):
    booking = book()
    payment = pay(booking, "full")

    for too_much in (PRICE + 1, 0, -5):
        with pytest.raises(RefundTooLarge) as refused:
            refund_record(payment=payment, amount_minor=too_much, note="test")
        assert refused.value.code == "refund_too_large"
    refund_record(payment=payment, amount_minor=100000, note="goodwill")
    with pytest.raises(RefundTooLarge):
        refund_record(payment=payment, amount_minor=50001, note="too much")
    refund_record(payment=payment, amount_minor=50000, note="the rest")
    with pytest.raises(RefundTooLarge):
        refund_record(payment=payment, amount_minor=1, note="nothing left")

    assert [d.amount_minor for d in ledger(booking, Kind.REFUND_DUE)] == [100000, 50000]


def test_refund_record_refuses_a_payment_never_captured(fake_stripe, book, checkout):
    booking = book()
    payment = checkout(booking, "full")

    with pytest.raises(RefundTooLarge):
        refund_record(payment=payment, amount_minor=1, note="not paid yet")

    assert ledger(booking, Kind.REFUND_DUE) == []


def test_the_retry_leaves_manual_refunds_to_the_provider(fake_stripe, settings, provider, client_user, act):
    settings.STRIPE_SECRET_KEY = ""
    service = make_service(provider, price_minor=PRICE)
    booking = make_booking(client=client_user, service=service, to_state="confirmed")
    settings.STRIPE_SECRET_KEY = fake_stripe.secret_key
    act(booking, "cancel", provider)
    assert [d.amount_minor for d in ledger(booking, Kind.REFUND_DUE)] == [PRICE]

    assert tasks_run(later=dt.timedelta(days=2)) == 0

    assert ledger(booking, Kind.REFUNDED) == [] and fake_stripe.requests == []


def test_the_retry_hands_refunds_older_than_the_retry_window_to_a_person(
    fake_stripe, book, pay, act, client_user, caplog
):
    """A refund Stripe keeps refusing is not sent every minute for ever: the retries stop within
    20 hours (less than the 24 hours Stripe remembers an idempotency key); the refund stays due,
    every attempt is in the admin, and the last one logs an error."""
    booking = book(days=30)
    pay(booking, "full")
    fake_stripe.fail_next("/v1/refunds", status=500, times=3 * ATTEMPTS)
    with caplog.at_level("ERROR", logger="gigsta.tasks"):
        act(Booking.objects.get(pk=booking.pk), "cancel", client_user)
        for _ in range(ATTEMPTS):
            tasks_run(later=dt.timedelta(days=1))

    assert sum((retry_delay(n) for n in range(1, ATTEMPTS)), dt.timedelta()) < dt.timedelta(hours=20)
    assert [t.task_name for t in tasks_failed()] == ["refunds_send"] * ATTEMPTS
    assert tasks_run(later=dt.timedelta(days=30)) == 0
    assert ledger(booking, Kind.REFUNDED) == [] and fake_stripe.refunds == {}
    [due] = ledger(booking, Kind.REFUND_DUE)
    assert not PaymentEvent.objects.filter(settles=due).exists()
    assert "refunds_send failed for good" in caplog.text and "needs a person" in caplog.text


def test_stripe_down_during_a_cancellation_answers_200_and_the_refund_goes_once_it_is_back(
    client, fake_stripe, book, pay, provider
):
    booking = book()
    pay(booking, "full")
    fake_stripe.fail_next(REFUNDS, times=3)

    response = client.post(
        reverse("api:booking_action_api", args=[booking.public_id, "cancel"]),
        "{}",
        content_type="application/json",
        headers=auth(provider),
    )

    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    tasks_run()  # the worker: Stripe refuses
    assert fake_stripe.refunds == {} and [d.amount_minor for d in ledger(booking, Kind.REFUND_DUE)] == [PRICE]
    tasks_run(later=retry_delay(1))
    assert _sent(fake_stripe) == [PRICE]
    assert tasks_run(later=dt.timedelta(days=2)) == 0
    assert _sent(fake_stripe) == [PRICE] and len(ledger(booking, Kind.REFUNDED)) == 1
