"""Fixtures that aim the real stripe library, and our settings, at a loopback FakeStripe."""

import json
from decimal import Decimal

import pytest
from django.db import transaction

from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from payments import stripe_gateway
from payments.models import PayoutAccount
from payments.services.connect import payout_account_event_apply
from payments.tests.fake_stripe import FakeStripe

WEBHOOK_PATH = "/payments/stripe/webhook/"


@pytest.fixture
def fake_stripe(settings, request):
    """A running FakeStripe whose keys and address are what our settings hand to the Stripe client.
    The cast's provider, when the test has one, has connected a Stripe account with payouts on,
    so their new bookings are card bookings (bookings.terms.card_payments_on)."""
    with FakeStripe() as fake:
        settings.STRIPE_SECRET_KEY = fake.secret_key
        settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
        settings.STRIPE_API_BASE = fake.base
        if "provider" in request.fixturenames:
            connect_provider(fake, request.getfixturevalue("provider"))
            fake.requests.clear()  # tests read what their own code sent
        yield fake


def connect_provider(fake: FakeStripe, provider, outcome: str = "payouts_on") -> PayoutAccount:
    """The provider's Express account as onboarding leaves it: created at the fake through our
    gateway, onboarded there, and its `account.updated` applied as the webhook applies it."""
    account_id = stripe_gateway.account_create(
        idempotency_key=f"connect-account-{provider.public_id}", email=provider.email, metadata={}
    )
    account = PayoutAccount.objects.create(
        provider=provider, stripe_account_id=account_id, status=PayoutAccount.Status.DETAILS_NEEDED
    )
    event = fake.onboard(account_id, outcome)
    with transaction.atomic():
        payout_account_event_apply(
            event_type=event["type"], account_id=account_id, obj=event["data"]["object"], created=event["created"]
        )
    account.refresh_from_db()
    return account


@pytest.fixture
def post_webhook(client, fake_stripe):
    """POST an event to our webhook view the way Stripe does: a JSON body and a Stripe-Signature header.

    The worker then runs the tasks the event queued. It depends on `fake_stripe` so that the
    secret it signs with is the one in settings; pass `secret` to sign with another, or
    `signature` to send a header verbatim (forged, stale, missing parts).
    """

    def post(event: dict, *, secret: str | None = None, signature: str | None = None):
        payload = json.dumps(event)
        header = signature if signature is not None else fake_stripe.sign(payload, secret=secret)
        response = client.post(WEBHOOK_PATH, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
        tasks_run()  # the worker runs what the event queued (a late payment's refund)
        return response

    return post


@pytest.fixture
def deposit_service(provider):
    """1,000.00 EUR with a 30 % deposit, from a provider whose payment instructions give an IBAN."""
    provider.provider_profile.payment_instructions = "IBAN DE89 3704 0044 0532 0130 00"
    provider.provider_profile.save()
    return make_service(provider, price_minor=100_000, deposit_percent=30)


@pytest.fixture
def manual_terms(settings):
    """Manual payments (no Stripe keys) and the default money settings, whatever the environment says."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.PLATFORM_FEE_PERCENT = Decimal("10")
    settings.BALANCE_CANCEL_DAYS = 7
