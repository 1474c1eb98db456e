"""Honest words: every sentence about money says what the booking's method (or, on the public
pages, the site as configured) really does with it."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from bookings.services import booking_transition
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run

pytestmark = pytest.mark.django_db

HOLD_PROMISES = ("held until", "holds the money", "held securely", "held safely", "paid, held", "payment held")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def promises_in(text: str) -> list[str]:
    return [p for p in HOLD_PROMISES if p in text.lower()]


@pytest.fixture
def cards_on(settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_copy", "whsec_copy"


@pytest.mark.parametrize("page", ["home", "account_login", "account_signup"])
def test_public_pages_promise_no_hold_without_card_payments(client, manual_terms, page):
    text = text_of(client.get(reverse(page)))
    assert promises_in(text) == []
    if page == "home":
        assert "you pay the provider directly, by bank transfer or cash" in text
        assert "GigSta does not hold this money" in text


@pytest.mark.parametrize("page", ["home", "account_login", "account_signup"])
def test_public_pages_with_cards_say_who_holds_what_and_until_when(client, cards_on, page):
    text = text_of(client.get(reverse(page)))
    if page == "home":
        assert "we hold the payment until 14 days after the gig, then pay the provider" in text
        assert "Other providers are paid directly; each booking says which" in text
    else:
        assert "Card payments held by GigSta until 14 days after the gig, then paid to the provider" in text
    assert "until the gig has happened" not in text


@pytest.mark.parametrize(
    ("who", "words"),
    [
        ("client", "You pay Pete Provider directly; GigSta does not hold this money."),
        ("provider", "Carla Client pays you directly; GigSta does not hold this money."),
    ],
)
def test_a_manual_booking_says_the_money_goes_to_the_provider_directly(
    client, client_user, provider, deposit_service, manual_terms, who, words
):
    booking = make_booking(client=client_user, service=deposit_service, to_state="confirmed")
    client.force_login(client_user if who == "client" else provider)
    text = text_of(client.get(reverse("bookings:detail", args=[booking.public_id])))
    assert words in text
    assert promises_in(text) == []


def test_a_manual_refund_after_a_dispute_says_who_owes_it(client, client_user, provider, staff_user, deposit_service):
    booking = make_booking(client=client_user, service=deposit_service, to_state="disputed")
    booking_transition(booking=booking, action="resolve_refund", actor=staff_user, note="The band never came.")
    client.force_login(client_user)
    text = text_of(client.get(reverse("bookings:detail", args=[booking.public_id])))
    assert "Pete Provider owes a full refund, by bank transfer or cash" in text
    assert "GigSta cannot send it for them" in text
    assert "the refund is on its way" not in text
    assert "refunded in full" not in text


def test_the_manual_payment_email_says_gigsta_does_not_hold_it(client_user, deposit_service, manual_terms):
    make_booking(client=client_user, service=deposit_service, to_state="confirmed")
    tasks_run()
    received = [m for m in mail.outbox if "Received:" in m.body]
    assert received, [m.subject for m in mail.outbox]
    assert "Paid to Pete Provider directly; GigSta does not hold this money." in received[-1].body
    assert "GigSta holds" not in received[-1].body


def test_a_manual_booking_of_a_service_paying_its_deposit_early_promises_nothing_of_the_kind(
    client, client_user, provider, manual_terms
):
    service = make_service(provider, price_minor=100_000, deposit_percent=30, deposit_paid_early=True)
    client.force_login(client_user)
    form = text_of(client.get(reverse("bookings:new", args=[service.public_id])))
    assert "by bank transfer or cash" in form
    assert "within a day" not in form and promises_in(form) == []
    booking = make_booking(client=client_user, service=service, to_state="deposit_paid")
    assert not booking.deposit_paid_early  # paid to the provider directly: GigSta pays nothing out
    text = text_of(client.get(reverse("bookings:detail", args=[booking.public_id])))
    assert "You pay Pete Provider directly; GigSta does not hold this money." in text
    assert "within a day" not in text
    tasks_run()
    received = [m for m in mail.outbox if "Received:" in m.body]
    assert received and "GigSta pays this deposit" not in received[-1].body
