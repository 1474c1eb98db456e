"""Starting a card checkout: the session Stripe is asked for, the amounts due now, who may pay,
and Stripe being down."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_transition
from bookings.state_machine import PaymentMethod, State, TransitionNotAllowed
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from payments.errors import AmountChanged, GatewayUnavailable, PaymentError
from payments.models import Payment
from payments.services.checkout import checkout_start
from payments.tests.fake_stripe import SESSIONS
from payments.tests.stripe_flow.helpers import PRICE, SITE, Kind, counts, ledger, posts

pytestmark = pytest.mark.django_db


def test_checkout_opens_a_session_for_the_price_with_our_ids(fake_stripe, book, checkout, client_user):
    booking = book()
    assert booking.payment_method == PaymentMethod.STRIPE
    before = counts()

    payment = checkout(booking, "full")

    assert (payment.kind, payment.method, payment.status) == ("full", "stripe", "pending")
    assert (payment.amount_minor, payment.currency, payment.fee_minor) == (PRICE, "EUR", 15000)
    session = fake_stripe.sessions[payment.provider_reference]
    assert payment.checkout_url == session["url"]
    assert (session["amount_total"], session["currency"], session["status"]) == (PRICE, "eur", "open")
    params = fake_stripe.session_params[payment.provider_reference]
    assert params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {
                "currency": "eur",
                "unit_amount": str(PRICE),
                "product_data": {"name": f"{booking.service.title}: full price"},
            },
        }
    ]
    ids = {"payment_id": str(payment.public_id), "booking_id": str(booking.public_id)}
    assert params["metadata"] == ids
    # Separate charges and transfers: the payout names the same group.
    assert params["payment_intent_data"] == {"metadata": ids, "transfer_group": ids["booking_id"]}
    assert params["client_reference_id"] == str(payment.public_id)
    assert params["customer_email"] == client_user.email
    assert params["success_url"] == SITE + reverse("payments:checkout_success", args=[payment.public_id])
    assert params["cancel_url"] == SITE + reverse("payments:checkout_cancel", args=[payment.public_id])
    [request] = posts(fake_stripe, SESSIONS)
    assert request.headers["Idempotency-Key"] == payment.idempotency_key
    [started] = ledger(booking)
    assert (started.kind, started.amount_minor, started.provider_reference) == (
        Kind.CHECKOUT_STARTED,
        PRICE,
        payment.provider_reference,
    )
    assert started.actor == client_user
    assert counts() == {**before, "Payment": before["Payment"] + 1, "PaymentEvent": before["PaymentEvent"] + 1}
    booking.refresh_from_db()
    assert booking.state == State.ACCEPTED  # paying starts a checkout; only the webhook moves the booking


def test_a_double_click_returns_the_same_checkout_without_a_second_session(fake_stripe, book, checkout):
    booking = book()

    first = checkout(booking, "full")
    second = checkout(booking, "full", expected_amount_minor=PRICE)

    assert second.pk == first.pk and second.checkout_url == first.checkout_url
    assert fake_stripe.creations[SESSIONS] == 1
    assert len(posts(fake_stripe, SESSIONS)) == 1
    assert Payment.objects.filter(booking=booking).count() == 1
    assert len(ledger(booking, Kind.CHECKOUT_STARTED)) == 1


def test_a_checkout_about_to_close_is_replaced(fake_stripe, book, checkout):
    booking = book()
    old = checkout(booking, "full")
    Payment.objects.filter(pk=old.pk).update(checkout_expires_at=timezone.now() + dt.timedelta(minutes=5))

    new = checkout(booking, "full")

    assert new.pk != old.pk and new.provider_reference != old.provider_reference
    assert fake_stripe.creations[SESSIONS] == 2


@pytest.mark.parametrize(
    ("price", "percent", "deposit", "balance"),
    [(PRICE, 25, 37500, 112500), (99999, 33, 33000, 66999), (1001, 50, 501, 500)],
)
def test_deposit_full_and_balance_amounts(fake_stripe, book, checkout, pay, price, percent, deposit, balance):
    booking = book(price_minor=price, deposit_percent=percent, balance_due_days=14)

    deposit_payment = checkout(booking, "deposit", expected_amount_minor=deposit)
    full_payment = checkout(booking, "full", expected_amount_minor=price)

    assert (deposit_payment.kind, deposit_payment.amount_minor) == ("deposit", deposit)
    assert (full_payment.kind, full_payment.amount_minor) == ("full", price)
    assert fake_stripe.sessions[deposit_payment.provider_reference]["amount_total"] == deposit
    assert fake_stripe.sessions[full_payment.provider_reference]["amount_total"] == price
    with pytest.raises(PaymentError) as refused:
        checkout(booking, "balance")
    assert refused.value.code == "not_due"

    assert pay(booking, "deposit").pk == deposit_payment.pk  # the open deposit checkout, paid
    balance_payment = checkout(booking, "balance", expected_amount_minor=balance)

    assert (balance_payment.kind, balance_payment.amount_minor) == ("balance", balance)
    assert deposit + balance == price


def test_only_the_amounts_due_now_can_be_paid(fake_stripe, book, checkout, pay):
    booking = book(deposit_percent=25, balance_due_days=14)
    pay(booking, "deposit")

    balance = checkout(booking, "balance", expected_amount_minor=PRICE - 37500)

    assert (balance.kind, balance.amount_minor) == ("balance", 112500)
    for kind in ("deposit", "full"):
        with pytest.raises(PaymentError) as refused:
            checkout(booking, kind)
        assert refused.value.code == "not_due"
    assert Payment.objects.filter(booking=booking).count() == 2


def test_card_deposit_and_balance_fees_add_up_to_the_fee_on_the_price(fake_stripe, book, pay):
    booking = book(price_minor=150_050, deposit_percent=30, balance_due_days=14)

    deposit = pay(booking, "deposit")
    balance = pay(booking, "balance")

    assert (deposit.amount_minor, balance.amount_minor) == (45_015, 105_035)
    assert (deposit.fee_minor, balance.fee_minor) == (4_502, 10_503)  # 10 % of 150,050 is 15,005, not 15,006
    assert deposit.fee_minor + balance.fee_minor == 15_005


def test_no_deposit_is_offered_once_the_balance_is_due(fake_stripe, book, checkout):
    booking = book(days=10, deposit_percent=25, balance_due_days=14)

    with pytest.raises(PaymentError) as refused:
        checkout(booking, "deposit")

    assert refused.value.code == "not_due"
    assert "full" in str(refused.value)
    assert not Payment.objects.exists() and fake_stripe.requests == []
    assert checkout(booking, "full").amount_minor == PRICE


def test_an_amount_that_changed_is_refused_and_nothing_is_written(fake_stripe, book, checkout):
    booking = book(deposit_percent=25, balance_due_days=14)
    before = counts()

    with pytest.raises(AmountChanged) as changed:
        checkout(booking, "full", expected_amount_minor=PRICE - 1)
    with pytest.raises(AmountChanged):
        checkout(booking, "deposit", expected_amount_minor=PRICE)

    assert changed.value.code == "amount_changed"
    assert counts() == before
    assert fake_stripe.requests == []


def test_a_confirmed_booking_cannot_be_paid_again(fake_stripe, book, checkout, pay):
    booking = book()
    pay(booking, "full")
    before, sent = counts(), len(fake_stripe.requests)

    with pytest.raises(TransitionNotAllowed) as refused:
        checkout(Booking.objects.get(pk=booking.pk), "full")

    assert refused.value.code == "wrong_state"
    assert counts() == before and len(fake_stripe.requests) == sent


def test_a_stale_booking_instance_is_rechecked_under_the_lock(fake_stripe, book, checkout, client_user):
    booking = book()
    booking_transition(booking=booking, action="withdraw", actor=client_user)
    assert booking.state == State.ACCEPTED  # the caller's copy is stale

    with pytest.raises(TransitionNotAllowed):
        checkout(booking, "full")

    assert not Payment.objects.exists() and fake_stripe.requests == []


@pytest.mark.parametrize("who", ["stranger", "provider"])
def test_only_the_client_can_pay(fake_stripe, book, request, who):
    booking = book()
    payer = request.getfixturevalue(who)
    before = counts()

    with pytest.raises(TransitionNotAllowed) as refused:
        checkout_start(booking=booking, client=payer, kind="full")

    assert refused.value.code == "not_your_action"
    assert counts() == before and fake_stripe.requests == []


def test_the_pay_page_is_not_found_for_a_stranger(fake_stripe, book, client, stranger):
    booking = book()
    url = reverse("payments:pay", args=[booking.public_id])
    client.force_login(stranger)

    assert client.get(url).status_code == 404
    assert client.post(url, {"choice": f"full:{PRICE}"}).status_code == 404
    assert not Payment.objects.exists() and fake_stripe.requests == []


def test_the_provider_cannot_pay_through_the_page(fake_stripe, book, client, provider):
    booking = book()
    client.force_login(provider)

    response = client.post(reverse("payments:pay", args=[booking.public_id]), {"choice": f"full:{PRICE}"})

    assert response.status_code == 403
    assert not Payment.objects.exists() and fake_stripe.requests == []


def test_a_manual_booking_cannot_be_paid_by_card(fake_stripe, settings, provider, client_user, checkout):
    settings.STRIPE_SECRET_KEY = ""  # card payments were off when it was requested
    service = make_service(provider, price_minor=PRICE)
    booking = make_booking(client=client_user, service=service, to_state="accepted")
    settings.STRIPE_SECRET_KEY = fake_stripe.secret_key

    with pytest.raises(TransitionNotAllowed) as refused:
        checkout(booking, "full")

    assert booking.payment_method == PaymentMethod.MANUAL
    assert refused.value.code == "guard"
    assert not Payment.objects.exists() and fake_stripe.requests == []


def test_stripe_down_raises_gateway_unavailable_and_writes_nothing(fake_stripe, book, checkout):
    booking = book()
    before = counts()
    fake_stripe.fail_next(SESSIONS, times=3)

    with pytest.raises(GatewayUnavailable) as down:
        checkout(booking, "full")

    assert down.value.code == "payment_provider_unavailable"
    assert counts() == before
    attempts = posts(fake_stripe, SESSIONS)
    assert len(attempts) == 3  # the library retried twice, with one idempotency key
    assert len({r.headers["Idempotency-Key"] for r in attempts}) == 1
    assert fake_stripe.creations[SESSIONS] == 0

    payment = checkout(booking, "full")  # Stripe is back: the client tries again

    assert payment.status == Payment.Status.PENDING and fake_stripe.creations[SESSIONS] == 1
    assert Payment.objects.count() == 1


def test_one_stripe_outage_is_absorbed_by_the_library_retry(fake_stripe, book, checkout):
    booking = book()
    fake_stripe.fail_next(SESSIONS, times=2)

    payment = checkout(booking, "full")

    assert len(posts(fake_stripe, SESSIONS)) == 3
    assert fake_stripe.creations[SESSIONS] == 1
    assert payment.provider_reference in fake_stripe.sessions


def test_checkout_locks_only_the_booking_row(fake_stripe, book, checkout):
    """While Stripe answers, the booking row is locked; the client's and provider's user rows and
    the service must not be, or every checkout of a provider (and their logins) queues behind it."""
    booking = book()

    with CaptureQueriesContext(connection) as queries:
        checkout(booking, "full")

    reads = [q["sql"] for q in queries.captured_queries if 'FROM "bookings_booking"' in q["sql"]]
    assert reads, "checkout_start must re-read the booking inside its transaction"
    locking = [sql for sql in reads if "FOR UPDATE" in sql]
    if connection.features.has_select_for_update:
        assert locking and all(sql.rstrip().endswith('FOR UPDATE OF "bookings_booking"') for sql in locking)
    else:
        assert locking == []  # SQLite: IMMEDIATE transactions serialise writers instead of row locks
