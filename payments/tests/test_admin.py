"""Staff see payments and the ledger read-only and refund only through the booking's lifecycle."""

import datetime as dt

import pytest
from django.urls import reverse

from bookings.services import booking_transition
from bookings.tests.factories import at, make_booking
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from payments.models import Payment, PaymentEvent, WebhookEvent
from payments.services.checkout import checkout_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_by_card(fake_stripe, post_webhook, client_user, provider):
    service = make_service(provider, price_minor=50000)
    booking = make_booking(client=client_user, service=service, to_state="accepted", starts_at=at(20))
    payment = checkout_start(booking=booking, client=client_user, kind="full")
    for event in fake_stripe.complete(payment.provider_reference):
        assert post_webhook(event).status_code == 200
    booking.refresh_from_db()
    assert booking.state == "confirmed"
    return booking


def test_payment_pages_are_read_only(client, staff_user, paid_by_card):
    client.force_login(staff_user)
    payment = Payment.objects.get()
    assert client.get(reverse("admin:payments_payment_changelist")).status_code == 200
    page = client.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    assert page.status_code == 200 and b"Payment received" in page.content  # the ledger inline
    assert client.get(reverse("admin:payments_paymentevent_changelist")).status_code == 200
    assert client.get(reverse("admin:payments_webhookevent_changelist")).status_code == 200
    assert client.get(reverse("admin:payments_payment_add")).status_code == 403
    response = client.post(reverse("admin:payments_payment_change", args=[payment.pk]), {"amount_minor": 1})
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.amount_minor == 50000
    assert client.post(reverse("admin:payments_payment_delete", args=[payment.pk]), {"post": "yes"}).status_code == 403
    assert WebhookEvent.objects.count() == 2


def test_staff_refund_goes_to_stripe_through_resolve_refund(
    client, staff_user, client_user, paid_by_card, fake_stripe, django_capture_on_commit_callbacks
):
    booking_transition(
        booking=paid_by_card, action="dispute", actor=client_user, now=paid_by_card.ends_at + dt.timedelta(hours=1)
    )
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:bookings_booking_resolve", args=[paid_by_card.pk, "resolve_refund"]),
            {"note": "The band never came."},
        )
    tasks_run()
    paid_by_card.refresh_from_db()
    assert paid_by_card.state == "refunded"
    refunded = PaymentEvent.objects.get(kind=PaymentEvent.Kind.REFUNDED)
    assert refunded.amount_minor == 50000
    [refund] = fake_stripe.refunds.values()
    assert refund["amount"] == 50000 and refund["id"] == refunded.provider_reference
    change = client.get(reverse("admin:bookings_booking_change", args=[paid_by_card.pk]))
    assert b"Full price" in change.content  # the booking's payments inline


def test_staff_refund_part_of_a_card_booking_from_its_confirmation_page(
    client, staff_user, client_user, paid_by_card, fake_stripe, django_capture_on_commit_callbacks, settings
):
    settings.PLATFORM_FEE_PERCENT = 10
    booking_transition(
        booking=paid_by_card, action="dispute", actor=client_user, note="No encore.", now=paid_by_card.ends_at
    )
    client.force_login(staff_user)
    change = client.get(reverse("admin:bookings_booking_change", args=[paid_by_card.pk])).content.decode()
    assert "€500 by card: GigSta holds it." in change
    url = reverse("admin:bookings_booking_resolve", args=[paid_by_card.pk, "resolve_partial"])
    confirm = client.get(url).content.decode()
    assert "Paid by card: GigSta holds the money." in confirm
    assert "It goes back to Carla Client's card" in confirm
    assert "Pete Provider is paid the rest less GigSta's 10 % fee" in confirm
    assert "cannot enforce" not in confirm

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"amount": "125", "note": "The encore was in the contract."})
    tasks_run()

    assert response.status_code == 302
    paid_by_card.refresh_from_db()
    assert paid_by_card.state == "completed"
    [refund] = fake_stripe.refunds.values()
    assert refund["amount"] == 12_500
    payments = client.get(reverse("admin:payments_payment_changelist")).content.decode()
    assert "€500" in payments and "€50" in payments  # amount and fee as money
    ledger = client.get(reverse("admin:payments_paymentevent_changelist")).content.decode()
    assert "€125" in ledger
