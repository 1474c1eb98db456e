"""The payments API: a booking's money, and starting a card checkout."""

import pytest
from django.urls import reverse

from accounts.tests.factories import auth, post
from bookings.services import booking_transition
from bookings.tests.factories import make_booking
from payments.models import Payment

pytestmark = pytest.mark.django_db


def test_money_of_a_paid_manual_booking(client, client_user, provider, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="deposit_paid")
    url = reverse("api:booking_money_api", args=[booking.public_id])
    body = client.get(url, headers=auth(client_user)).json()
    assert body["currency"] == "EUR" and body["price_minor"] == 100000
    assert body["paid_minor"] == 30000 and body["refunded_minor"] == 0 and body["refund_pending_minor"] == 0
    assert body["fee_minor"] == 3000 and body["payout_minor"] == 27000
    assert body["due_now"] == [{"kind": "balance", "amount_minor": 70000, "label": "Pay the balance"}]
    assert body["refund_if_cancelled_now_minor"] == 30000
    assert body["cancellation_policy"][0] == "You cancel 14 days or more before the gig: full refund."
    [payment] = body["payments"]
    assert payment["kind"] == "deposit" and payment["method"] == "manual" and payment["status"] == "succeeded"
    assert [(e["kind"], e["amount_minor"]) for e in body["ledger"]] == [("captured", 30000)]


def test_money_is_private(client, client_user, provider, stranger, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
    response = client.get(reverse("api:booking_money_api", args=[booking.public_id]), headers=auth(stranger))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_checkout_for_a_manual_booking_is_refused(client, client_user, provider, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
    response = post(client, reverse("api:checkout_api", args=[booking.public_id]), {"kind": "full"}, client_user)
    assert response.status_code == 409
    assert response.json()["code"] == "guard"
    assert "bank transfer or cash" in response.json()["detail"]


def test_pay_action_points_to_checkout(client, client_user, provider, deposit_service, fake_stripe):
    booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
    url = reverse("api:booking_action_api", args=[booking.public_id, "pay"])
    response = post(client, url, {}, client_user)
    assert response.status_code == 409
    assert response.json()["code"] == "not_a_transition"
    assert "/checkout" in response.json()["detail"]


class TestCardCheckout:
    def test_checkout_returns_the_stripe_url(self, client, client_user, provider, deposit_service, fake_stripe):
        booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
        url = reverse("api:checkout_api", args=[booking.public_id])
        response = post(client, url, {"kind": "deposit", "expected_amount_minor": 30000}, client_user)
        assert response.status_code == 201
        body = response.json()
        payment = Payment.objects.get()
        assert body == {
            "payment_id": str(payment.public_id),
            "checkout_url": payment.checkout_url,
            "amount_minor": 30000,
            "currency": "EUR",
            "kind": "deposit",
        }
        again = post(client, url, {"kind": "deposit", "expected_amount_minor": 30000}, client_user)
        assert again.json()["checkout_url"] == body["checkout_url"]  # a retry gets the same checkout
        assert fake_stripe.creations["/v1/checkout/sessions"] == 1

    def test_a_changed_amount_is_a_conflict(self, client, client_user, provider, deposit_service, fake_stripe):
        booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
        url = reverse("api:checkout_api", args=[booking.public_id])
        response = post(client, url, {"kind": "full", "expected_amount_minor": 99999}, client_user)
        assert response.status_code == 409 and response.json()["code"] == "amount_changed"
        assert not Payment.objects.exists()

    def test_a_kind_not_due_is_a_conflict(self, client, client_user, provider, deposit_service, fake_stripe):
        booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
        response = post(client, reverse("api:checkout_api", args=[booking.public_id]), {"kind": "balance"}, client_user)
        assert response.status_code == 409 and response.json()["code"] == "not_due"
        assert "you can pay: deposit, full" in response.json()["detail"]

    def test_an_unknown_kind_is_a_validation_error(self, client, client_user, provider, deposit_service, fake_stripe):
        booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
        response = post(client, reverse("api:checkout_api", args=[booking.public_id]), {"kind": "tip"}, client_user)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "kind"

    def test_the_provider_cannot_pay(self, client, client_user, provider, deposit_service, fake_stripe):
        booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
        response = post(client, reverse("api:checkout_api", args=[booking.public_id]), {"kind": "full"}, provider)
        assert response.status_code == 409 and response.json()["code"] == "not_your_action"

    def test_stripe_down_is_503(self, client, client_user, provider, deposit_service, fake_stripe):
        booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
        fake_stripe.fail_next("/v1/checkout/sessions", status=500, times=3)
        response = post(client, reverse("api:checkout_api", args=[booking.public_id]), {"kind": "full"}, client_user)
        assert response.status_code == 503
        assert response.json()["code"] == "payment_provider_unavailable"
        assert not Payment.objects.exists()

    def test_booking_shows_its_payment_method(self, client, client_user, provider, deposit_service, fake_stripe):
        booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
        body = client.get(reverse("api:booking_detail_api", args=[booking.public_id]), headers=auth(client_user)).json()
        assert body["payment_method"] == "stripe" and body["deposit_percent"] == 30
        assert [a["action_name"] for a in body["actions"]] == ["withdraw", "pay", "reschedule"]


def test_money_query_count_does_not_grow_with_payments(
    client, client_user, provider, deposit_service, django_assert_num_queries
):
    booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
    headers = auth(client_user)
    url = reverse("api:booking_money_api", args=[booking.public_id])
    client.get(url, headers=headers)
    # token, booking, ledger, payments
    with django_assert_num_queries(4):
        client.get(url, headers=headers)
    booking, _ = booking_transition(booking=booking, action="mark_deposit_paid", actor=provider)
    booking_transition(booking=booking, action="mark_paid", actor=provider)
    with django_assert_num_queries(4):
        body = client.get(url, headers=headers).json()
    assert len(body["payments"]) == 2 and len(body["ledger"]) == 2
