"""The payment pages: the booking card's money panel, the pay page, Checkout's return pages,
receipts and a provider marking a manual refund as sent."""

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import session_queries
from bookings.services import booking_transition
from bookings.tests.factories import at, make_booking
from payments.models import Payment, PaymentEvent


@pytest.fixture
def accepted(client_user, deposit_service):
    return make_booking(client=client_user, service=deposit_service, to_state="accepted")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_provider_sees_the_payout_before_accepting(client, client_user, provider, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service)
    client.force_login(provider)
    page = text_of(client.get(reverse("bookings:detail", args=[booking.public_id])))
    assert "GigSta's fee is €100 (10 %)" in page
    assert 'data-testid="payout">€900<' in page


def test_client_sees_how_to_pay_a_manual_booking(client, client_user, accepted):
    client.force_login(client_user)
    page = text_of(client.get(reverse("bookings:detail", args=[accepted.public_id])))
    assert "Pay <strong>€300</strong> (the deposit; or €1,000 in full)" in page
    assert "IBAN DE89 3704 0044 0532 0130 00" in page
    assert accepted.reference in page
    assert 'data-testid="action-pay"' not in page  # manual bookings are marked paid by the provider
    assert "You cancel 14 days or more before the gig: full refund." in page


def test_money_on_the_timeline_and_receipts(client, client_user, provider, accepted):
    booking, _ = booking_transition(booking=accepted, action="mark_deposit_paid", actor=provider)
    booking, _ = booking_transition(booking=booking, action="mark_paid", actor=provider)
    client.force_login(client_user)
    page = text_of(client.get(reverse("bookings:detail", args=[booking.public_id])))
    # Each payment once, under the change that recorded it.
    money_line = '</p> <p class="timeline__money" data-testid="event-money">Payment received: <span class="nowrap">'
    assert f"Deposit received (bank transfer or cash){money_line}€300</span>" in page
    assert f"Payment received (bank transfer or cash){money_line}€700</span>" in page
    assert page.count('data-testid="event-money"') == 2
    assert 'data-testid="paid">€1,000<' in page
    assert "If you cancelled now, you would get back <strong>€1,000</strong> (100 % of what you paid)" in page
    payments = list(booking.payments.order_by("created_at"))
    for payment in payments:
        assert reverse("payments:receipt", args=[payment.public_id]) in page
    receipt = text_of(client.get(reverse("payments:receipt", args=[payments[1].public_id])))
    assert 'data-testid="receipt-amount">€700<' in receipt
    assert "receipt-fee" not in receipt  # the client's receipt does not itemise the provider's fee
    client.force_login(provider)
    statement = text_of(client.get(reverse("payments:receipt", args=[payments[1].public_id])))
    assert 'data-testid="receipt-fee">€70 (10 %)' in statement
    assert 'data-testid="receipt-payout"><strong>€630<' in statement


def test_receipts_are_private(client, stranger, client_user, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="confirmed")
    payment = booking.payments.get()
    client.force_login(stranger)
    assert client.get(reverse("payments:receipt", args=[payment.public_id])).status_code == 404
    assert client.get(reverse("payments:pay", args=[booking.public_id])).status_code == 404


def test_provider_marks_a_manual_refund_as_sent(
    client, client_user, provider, deposit_service, django_capture_on_commit_callbacks
):
    booking = make_booking(client=client_user, service=deposit_service, to_state="confirmed")
    with django_capture_on_commit_callbacks(execute=True):
        booking_transition(booking=booking, action="cancel", actor=provider)
    due = PaymentEvent.objects.get(kind=PaymentEvent.Kind.REFUND_DUE)
    client.force_login(client_user)
    client_page = text_of(client.get(reverse("bookings:detail", args=[booking.public_id])))
    assert "is to be refunded by Pete Provider" in client_page
    assert 'hx-trigger="every 5s"' in client_page  # a cancelled booking keeps updating while a refund is due
    assert client.post(reverse("payments:refund_sent", args=[due.public_id])).status_code == 404  # not the provider
    client.force_login(provider)
    page = text_of(client.get(reverse("bookings:detail", args=[booking.public_id])))
    assert "Please refund <strong>€1,000</strong> to Carla Client" in page
    assert "One thing left: send the refund below." in page
    response = client.post(reverse("payments:refund_sent", args=[due.public_id]), follow=True)
    assert "Marked as refunded" in response.content.decode()
    assert 'data-testid="refund-due"' not in response.content.decode()
    client.post(reverse("payments:refund_sent", args=[due.public_id]))  # a second click changes nothing
    assert PaymentEvent.objects.filter(kind=PaymentEvent.Kind.REFUNDED).count() == 1
    client.force_login(client_user)
    client_page = text_of(client.get(reverse("bookings:detail", args=[booking.public_id])))
    # Settled: only the thread can still change, and the card polls slowly for it.
    assert 'hx-trigger="every 15s"' in client_page and 'data-testid="refunded">€1,000<' in client_page


def test_pay_page_for_a_manual_booking_shows_the_instructions(client, client_user, accepted):
    client.force_login(client_user)
    response = client.get(reverse("payments:pay", args=[accepted.public_id]))
    page = text_of(response)
    assert response.status_code == 200
    assert 'data-testid="pay-instructions"' in page and "pay-form" not in page
    assert "You cancel less than 7 days before: no refund." in page


def test_only_the_client_opens_the_pay_page(client, provider, accepted):
    client.force_login(provider)
    assert client.get(reverse("payments:pay", args=[accepted.public_id])).status_code == 403


def test_pay_page_says_when_nothing_is_due(client, client_user, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="confirmed")
    client.force_login(client_user)
    page = text_of(client.get(reverse("payments:pay", args=[booking.public_id])))
    assert "Nothing to pay" in page and 'data-testid="nothing-due"' in page


def test_pay_page_query_count_is_constant(client, client_user, provider, accepted, django_assert_num_queries, settings):
    client.force_login(client_user)
    url = reverse("payments:pay", args=[accepted.public_id])
    client.get(url)
    expected = 4 + session_queries(settings)  # user, booking (with parties and profile), ledger, unread count
    with django_assert_num_queries(expected):
        client.get(url)
    booking, _ = booking_transition(booking=accepted, action="mark_deposit_paid", actor=provider)
    with django_assert_num_queries(expected):
        assert "Pay the balance" not in client.get(url).content.decode()  # manual: shown, not a card choice
    assert booking.payments.count() == 1


class TestCard:
    """Card bookings, with the real stripe library talking to the loopback fake."""

    @pytest.fixture
    def card_booking(self, fake_stripe, client_user, deposit_service):
        booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
        assert booking.payment_method == "stripe"
        return booking

    def test_pay_page_offers_deposit_or_full_and_redirects_to_checkout(
        self, client, client_user, card_booking, fake_stripe, settings
    ):
        client.force_login(client_user)
        url = reverse("payments:pay", args=[card_booking.public_id])
        page = text_of(client.get(url))
        assert "Pay the 30 % deposit" in page and "€300" in page and "Pay in full" in page
        assert "Included: €100 (10 %)" in page
        response = client.post(url, {"choice": "deposit:30000"})
        payment = Payment.objects.get()
        assert response.status_code == 302
        assert response["Location"] == payment.checkout_url
        assert payment.checkout_url.startswith(fake_stripe.base + "/pay/cs_test_")
        assert payment.amount_minor == 30000 and payment.status == "pending"
        success = fake_stripe.session_params[payment.provider_reference]["success_url"]
        assert success == f"{settings.SITE_URL}/payments/{payment.public_id}/success/"  # never the Host header

    def test_htmx_pay_redirects_with_a_header(self, client, client_user, card_booking):
        client.force_login(client_user)
        response = client.post(
            reverse("payments:pay", args=[card_booking.public_id]),
            {"choice": "full:100000"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert response["HX-Redirect"] == Payment.objects.get().checkout_url

    def test_a_stale_amount_is_refused_and_nothing_is_charged(self, client, client_user, card_booking, fake_stripe):
        client.force_login(client_user)
        response = client.post(reverse("payments:pay", args=[card_booking.public_id]), {"choice": "full:1"})
        assert response.status_code == 409
        assert "The amount due is 1000.00 EUR, not 0.01" in response.content.decode()
        assert not Payment.objects.exists()
        assert fake_stripe.creations.get("/v1/checkout/sessions", 0) == 0

    def test_stripe_down_shows_a_clear_error(self, client, client_user, card_booking, fake_stripe):
        fake_stripe.fail_next("/v1/checkout/sessions", status=500, times=3)
        client.force_login(client_user)
        response = client.post(reverse("payments:pay", args=[card_booking.public_id]), {"choice": "full:100000"})
        assert response.status_code == 503
        assert "Card payments are unavailable right now; nothing was charged." in response.content.decode()
        assert not Payment.objects.exists()

    def test_a_tampered_choice_is_refused(self, client, client_user, card_booking, fake_stripe):
        client.force_login(client_user)
        url = reverse("payments:pay", args=[card_booking.public_id])
        for tampered in ("full", "tip:500", "deposit:-1", ""):
            response = client.post(url, {"choice": tampered})
            assert response.status_code in (400, 409), tampered
            assert "pay-form" in response.content.decode()  # the form again, with the amounts due
        assert not Payment.objects.exists()
        assert fake_stripe.creations.get("/v1/checkout/sessions", 0) == 0

    def test_booking_card_links_to_the_pay_page(self, client, client_user, card_booking):
        client.force_login(client_user)
        page = text_of(client.get(reverse("bookings:detail", args=[card_booking.public_id])))
        assert f'href="{reverse("payments:pay", args=[card_booking.public_id])}"' in page
        assert "Pay now: €300" in page

    def test_success_page_waits_for_the_webhook_then_confirms(
        self, client, client_user, card_booking, fake_stripe, post_webhook
    ):
        client.force_login(client_user)
        client.post(reverse("payments:pay", args=[card_booking.public_id]), {"choice": "full:100000"})
        payment = Payment.objects.get()
        url = reverse("payments:checkout_success", args=[payment.public_id])
        waiting = text_of(client.get(url))
        assert 'data-testid="checkout-waiting"' in waiting and 'hx-trigger="every 2s"' in waiting
        for event in fake_stripe.complete(payment.provider_reference):
            assert post_webhook(event).status_code == 200
        partial = text_of(client.get(url, headers={"HX-Request": "true"}))
        assert "<html" not in partial
        assert "Payment received" in partial and "Your booking is confirmed." in partial
        assert "hx-trigger" not in partial  # stops polling

    def test_cancel_page_offers_another_try(self, client, client_user, card_booking):
        client.force_login(client_user)
        client.post(reverse("payments:pay", args=[card_booking.public_id]), {"choice": "full:100000"})
        payment = Payment.objects.get()
        page = text_of(client.get(reverse("payments:checkout_cancel", args=[payment.public_id])))
        assert "nothing was charged" in page
        assert reverse("payments:pay", args=[card_booking.public_id]) in page


def test_statement_after_a_half_refund(client, client_user, provider, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="confirmed", starts_at=at(10))
    booking_transition(booking=booking, action="cancel", actor=client_user)  # 7 to 13 days before: half back
    client.force_login(provider)
    statement = text_of(client.get(reverse("payments:receipt", args=[booking.payments.get().public_id])))
    assert 'data-testid="receipt-refund-due">€500<' in statement  # not sent yet: the provider sends it
    assert 'data-testid="receipt-fee">€50 (10 % of what was kept)' in statement
    assert 'data-testid="receipt-payout"><strong>€450<' in statement


def test_success_page_says_when_a_late_payment_is_refunded(
    client, client_user, provider, fake_stripe, post_webhook, deposit_service, django_capture_on_commit_callbacks
):
    booking = make_booking(client=client_user, service=deposit_service, to_state="accepted")
    client.force_login(client_user)
    client.post(reverse("payments:pay", args=[booking.public_id]), {"choice": "full:100000"})
    payment = Payment.objects.get()
    events = fake_stripe.complete(payment.provider_reference)  # paid at Stripe just as the client withdraws
    booking_transition(booking=booking, action="withdraw", actor=client_user)
    with django_capture_on_commit_callbacks(execute=True):
        for event in events:
            assert post_webhook(event).status_code == 200
    page = text_of(client.get(reverse("payments:checkout_success", args=[payment.public_id])))
    assert "Payment refunded" in page and "being refunded in full to your card" in page
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [100000]
