"""Card payments end to end: our services and webhook view against the loopback FakeStripe,
through the real stripe library. Every test checks the rows written (Payment, the ledger,
WebhookEvent, BookingEvent), the booking's state and what reached Stripe."""

import copy
import datetime as dt
import json
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, BookingEvent
from bookings.services import booking_transition
from bookings.state_machine import PaymentMethod, State, TransitionNotAllowed
from bookings.tests.factories import at, make_booking
from catalog.tests.factories import make_service
from payments import stripe_gateway
from payments.errors import AmountChanged, GatewayUnavailable, PaymentError, RefundTooLarge
from payments.models import Payment, PaymentEvent, WebhookEvent
from payments.services.checkout import checkout_start
from payments.services.refunds import refund_record, refund_send, refunds_retry
from payments.tests.fake_stripe import REFUNDS, SESSIONS

pytestmark = pytest.mark.django_db

PRICE = 150000  # 1,500.00 EUR
SITE = "https://gigsta.test"
Kind = PaymentEvent.Kind


# --- helpers -----------------------------------------------------------------------------------


def counts() -> dict[str, int]:
    """Rows of everything a checkout or a webhook may write."""
    return {model.__name__: model.objects.count() for model in (Payment, PaymentEvent, WebhookEvent, BookingEvent)}


def ledger(booking: Booking, kind: str | None = None) -> list[PaymentEvent]:
    entries = PaymentEvent.objects.filter(payment__booking=booking).order_by("created_at", "pk")
    return list(entries.filter(kind=kind) if kind else entries)


def actions(booking: Booking) -> list[str]:
    return list(booking.events.order_by("created_at", "pk").values_list("action", flat=True))


def net_paid(booking: Booking) -> int:
    """Captured minus refunds decided: what the client has paid and keeps paid."""
    return sum(e.amount_minor for e in ledger(booking, Kind.CAPTURED)) - sum(
        e.amount_minor for e in ledger(booking, Kind.REFUND_DUE)
    )


def posts(fake, path: str) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == path]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE  # where Checkout sends the client back


@pytest.fixture
def book(provider, client_user, fake_stripe):
    """A card booking the provider accepted, `days` ahead (or at `starts_at`), on a service with these terms."""

    def make(*, days: int = 30, starts_at: dt.datetime | None = None, **terms) -> Booking:
        service = make_service(provider, **{"price_minor": PRICE, **terms})
        return make_booking(client=client_user, service=service, to_state="accepted", starts_at=starts_at or at(days))

    return make


@pytest.fixture
def checkout(client_user):
    def start(booking: Booking, kind: str = "full", **kwargs) -> Payment:
        return checkout_start(booking=booking, client=client_user, kind=kind, **kwargs)

    return start


@pytest.fixture
def deliver(post_webhook, django_capture_on_commit_callbacks):
    """Post a signed event as Stripe does, running the after-commit work (refunds) as a real request would."""

    def send(event: dict, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_webhook(event, **kwargs)

    return send


@pytest.fixture
def pay(fake_stripe, checkout, deliver):
    """The client pays `kind` by card: checkout, the hosted page, then both of Stripe's webhooks."""

    def run(booking: Booking, kind: str = "full") -> Payment:
        payment = checkout(booking, kind)
        for event in fake_stripe.complete(payment.provider_reference):
            response = deliver(event)
            assert response.status_code == 200, response.content
        payment.refresh_from_db()
        return payment

    return run


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """A booking transition as a request makes it: refunds go to Stripe once it commits."""

    def run(booking: Booking, action: str, actor, **kwargs) -> Booking:
        with django_capture_on_commit_callbacks(execute=True):
            return booking_transition(booking=booking, action=action, actor=actor, **kwargs).booking

    return run


def intent_of(fake, payment: Payment) -> str:
    return fake.sessions[payment.provider_reference]["payment_intent"]


# --- checkout ----------------------------------------------------------------------------------


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
    assert params["payment_intent_data"] == {"metadata": ids}
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


# --- webhooks: capture ---------------------------------------------------------------------------


def test_one_event_replayed_100_times_captures_once(fake_stripe, book, checkout, deliver):
    booking = book()
    payment = checkout(booking, "full")
    completed, _ = fake_stripe.complete(payment.provider_reference)

    responses = [deliver(completed) for _ in range(100)]

    assert [r.status_code for r in responses] == [200] * 100
    outcomes = [r.json()["outcome"] for r in responses]
    assert outcomes == ["captured; confirm_payment"] + ["duplicate"] * 99
    [captured] = ledger(booking, Kind.CAPTURED)
    assert (captured.amount_minor, captured.provider_reference) == (PRICE, completed["id"])
    assert actions(booking).count("confirm_payment") == 1
    assert BookingEvent.objects.get(booking=booking, action="confirm_payment").actor is None
    booking.refresh_from_db()
    assert booking.state == State.CONFIRMED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.payment_intent == intent_of(fake_stripe, payment)
    assert payment.checkout_url == ""
    [record] = WebhookEvent.objects.all()
    assert (record.event_id, record.payment, record.outcome) == (completed["id"], payment, "captured; confirm_payment")
    assert fake_stripe.refunds == {}


@pytest.mark.parametrize("order", ["session_first", "intent_first"])
def test_both_events_of_a_payment_capture_once_in_either_order(fake_stripe, book, checkout, deliver, order):
    booking = book()
    payment = checkout(booking, "full")
    events = fake_stripe.complete(payment.provider_reference)
    if order == "intent_first":
        events.reverse()

    outcomes = [deliver(event).json()["outcome"] for event in events]

    assert outcomes == ["captured; confirm_payment", "already captured"]
    assert len(ledger(booking, Kind.CAPTURED)) == 1
    assert actions(booking) == ["request", "accept", "confirm_payment"]
    assert WebhookEvent.objects.count() == 2
    payment.refresh_from_db()
    assert payment.payment_intent == intent_of(fake_stripe, payment)
    assert Booking.objects.get(pk=booking.pk).state == State.CONFIRMED


def test_a_late_expiry_after_the_payment_is_harmless(fake_stripe, book, checkout, deliver):
    booking = book()
    payment = checkout(booking, "full")
    completed, _ = fake_stripe.complete(payment.provider_reference)
    deliver(completed)
    expired = fake_stripe.event(
        "checkout.session.expired", {**completed["data"]["object"], "status": "expired", "payment_status": "unpaid"}
    )

    response = deliver(expired)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored: payment already succeeded"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert ledger(booking, Kind.FAILED) == []
    assert len(ledger(booking, Kind.CAPTURED)) == 1
    assert Booking.objects.get(pk=booking.pk).state == State.CONFIRMED


def test_an_expired_checkout_lets_the_client_start_a_new_one(fake_stripe, book, checkout, pay, deliver):
    booking = book()
    first = checkout(booking, "full")

    response = deliver(fake_stripe.expire(first.provider_reference))

    assert (response.status_code, response.json()["outcome"]) == (200, "payment expired")
    first.refresh_from_db()
    assert (first.status, first.checkout_url) == (Payment.Status.EXPIRED, "")
    [failed] = ledger(booking, Kind.FAILED)
    assert (failed.payment, failed.amount_minor) == (first, 0)
    booking.refresh_from_db()
    assert booking.state == State.ACCEPTED

    second = pay(booking, "full")

    assert second.pk != first.pk and second.provider_reference != first.provider_reference
    assert fake_stripe.creations[SESSIONS] == 2
    assert second.status == Payment.Status.SUCCEEDED
    assert Booking.objects.get(pk=booking.pk).state == State.CONFIRMED


def test_an_unknown_event_type_is_acknowledged_and_ignored(fake_stripe, book, checkout, deliver):
    booking = book()
    payment = checkout(booking, "full")
    before = counts()
    event = fake_stripe.event("charge.updated", {"id": "ch_x", "metadata": {"payment_id": str(payment.public_id)}})

    response = deliver(event)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "ignored"}
    assert counts() == before


def _tamper(event: dict) -> dict:
    tampered = copy.deepcopy(event)
    tampered["data"]["object"]["amount_total"] = 1
    return tampered


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda fake, event: {"signature": "t=1700000000,v1=" + "0" * 64}, id="forged"),
        pytest.param(lambda fake, event: {"secret": "whsec_someone_else"}, id="wrong_secret"),
        pytest.param(lambda fake, event: {"signature": ""}, id="missing"),
        pytest.param(lambda fake, event: {"signature": "garbage"}, id="garbage"),
        pytest.param(lambda fake, event: {"signature": "t=abc,v1=def"}, id="bad_timestamp"),
        pytest.param(
            lambda fake, event: {"signature": fake.sign(json.dumps(event), timestamp=int(time.time()) - 3600)},
            id="stale",
        ),
        pytest.param(lambda fake, event: {"signature": fake.sign(json.dumps(_tamper(event)))}, id="tampered"),
    ],
)
def test_a_bad_signature_is_rejected_and_nothing_is_written(fake_stripe, book, checkout, deliver, forge):
    booking = book()
    payment = checkout(booking, "full")
    completed, _ = fake_stripe.complete(payment.provider_reference)
    before = counts()

    response = deliver(completed, **forge(fake_stripe, completed))

    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    assert counts() == before
    assert Booking.objects.get(pk=booking.pk).state == State.ACCEPTED


def test_a_signed_body_that_is_not_json_is_rejected(fake_stripe, client):
    before = counts()
    body = "not json"

    response = client.post(
        "/payments/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=fake_stripe.sign(body)
    )

    assert (response.status_code, response.json()["code"]) == (400, "bad_signature")
    assert counts() == before


def _unknown_session(fake, payment, completed, intent):
    return fake.event("checkout.session.completed", {**completed, "id": "cs_test_someone_else"})


def _unknown_payment_id(fake, payment, completed, intent):
    return fake.event("checkout.session.completed", {**completed, "metadata": {"payment_id": str(uuid.uuid4())}})


def _no_metadata(fake, payment, completed, intent):
    return fake.event("checkout.session.completed", {**completed, "metadata": {}})


def _not_a_uuid(fake, payment, completed, intent):
    return fake.event("checkout.session.completed", {**completed, "metadata": {"payment_id": "12"}})


def _unknown_intent_payment(fake, payment, completed, intent):
    return fake.event("payment_intent.succeeded", {**intent, "metadata": {"payment_id": str(uuid.uuid4())}})


def _unknown_expiry(fake, payment, completed, intent):
    return fake.event("checkout.session.expired", {**completed, "id": "cs_test_other", "metadata": {}})


@pytest.mark.parametrize(
    "build",
    [_unknown_session, _unknown_payment_id, _not_a_uuid, _unknown_intent_payment],
)
def test_an_event_for_an_unknown_payment_is_rejected_and_nothing_is_written(
    fake_stripe, book, checkout, deliver, build
):
    booking = book()
    payment = checkout(booking, "full")
    completed, succeeded = fake_stripe.complete(payment.provider_reference)
    event = build(fake_stripe, payment, completed["data"]["object"], succeeded["data"]["object"])
    before = counts()

    response = deliver(event)

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_payment"
    assert counts() == before
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING

    assert deliver(completed).json()["outcome"] == "captured; confirm_payment"  # the genuine event still applies


@pytest.mark.parametrize("build", [_no_metadata, _unknown_expiry])
def test_an_event_about_someone_elses_payment_is_acknowledged_and_ignored(fake_stripe, book, checkout, deliver, build):
    """Another integration on the same Stripe account: no payment_id of ours. A 400 would make
    Stripe retry it for days and could get the endpoint switched off."""
    booking = book()
    payment = checkout(booking, "full")
    completed, succeeded = fake_stripe.complete(payment.provider_reference)
    before = counts()

    response = deliver(build(fake_stripe, payment, completed["data"]["object"], succeeded["data"]["object"]))

    assert (response.status_code, response.json()["outcome"]) == (200, "ignored: not a GigSta payment")
    assert counts() == before


@pytest.mark.parametrize(
    ("event_type", "changes"),
    [
        ("checkout.session.completed", {"amount_total": PRICE - 100}),
        ("checkout.session.completed", {"amount_total": PRICE + 100}),
        ("checkout.session.completed", {"currency": "usd"}),
        ("payment_intent.succeeded", {"amount": 100, "amount_received": 100}),
    ],
)
def test_a_paid_amount_that_does_not_match_is_rejected_and_nothing_is_written(
    fake_stripe, book, checkout, deliver, event_type, changes
):
    booking = book()
    payment = checkout(booking, "full")
    completed, succeeded = fake_stripe.complete(payment.provider_reference)
    genuine = completed if event_type == "checkout.session.completed" else succeeded
    event = fake_stripe.event(event_type, {**genuine["data"]["object"], **changes})
    before = counts()

    response = deliver(event)

    assert response.status_code == 400
    assert response.json()["code"] == "amount_mismatch"
    assert counts() == before
    assert Booking.objects.get(pk=booking.pk).state == State.ACCEPTED
    payment.refresh_from_db()
    assert (payment.status, payment.payment_intent) == (Payment.Status.PENDING, "")


# --- webhooks: payments that no longer fit the booking ----------------------------------------------


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


# --- refunds --------------------------------------------------------------------------------------


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

    booking = act(booking, "resolve_refund", staff_user, now=during_gig + dt.timedelta(days=1))

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
    assert refunds_retry() == 0  # younger than the default minute: left for the next run

    assert refunds_retry(older_than_seconds=0) == 1

    [refunded] = ledger(booking, Kind.REFUNDED)
    assert (refunded.settles, refunded.amount_minor) == (due, PRICE)
    assert _sent(fake_stripe) == [PRICE]
    assert refunds_retry(older_than_seconds=0) == 0
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

    assert refunds_retry(older_than_seconds=0) == 0

    assert ledger(booking, Kind.REFUNDED) == [] and fake_stripe.requests == []


def test_the_retry_hands_refunds_older_than_the_retry_window_to_a_person(
    fake_stripe, book, pay, act, client_user, caplog
):
    """A refund Stripe keeps refusing is not sent every minute for ever: after 20 hours (less than
    the 24 hours Stripe remembers an idempotency key) it stays due and every run logs an error."""
    booking = book(days=30)
    pay(booking, "full")
    fake_stripe.fail_next("/v1/refunds", status=500, times=3)
    act(Booking.objects.get(pk=booking.pk), "cancel", client_user)
    [due] = ledger(booking, Kind.REFUND_DUE)
    PaymentEvent.objects.filter(pk=due.pk).update(created_at=timezone.now() - dt.timedelta(hours=20, minutes=1))

    with caplog.at_level("ERROR", logger="payments.services.refunds"):
        assert refunds_retry(older_than_seconds=0) == 0

    assert ledger(booking, Kind.REFUNDED) == [] and fake_stripe.refunds == {}
    assert f"card refund {due.public_id}" in caplog.text and "refund it by hand in Stripe" in caplog.text
