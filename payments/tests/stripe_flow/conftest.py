"""Fixtures of the card payment tests: a card booking the provider accepted, a checkout, paying
it, delivering Stripe's signed webhooks, and transitions whose refunds go to Stripe on commit."""

import datetime as dt

import pytest

from bookings.models import Booking
from bookings.services import booking_transition
from bookings.tests.factories import at, make_booking
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from payments.models import Payment
from payments.services.checkout import checkout_start
from payments.tests.stripe_flow.helpers import PRICE, SITE


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
    """A booking transition as a request makes it, and the worker running the tasks it queued:
    refunds go to Stripe once it commits."""

    def run(booking: Booking, action: str, actor, **kwargs) -> Booking:
        with django_capture_on_commit_callbacks(execute=True):
            booking = booking_transition(booking=booking, action=action, actor=actor, **kwargs).booking
        tasks_run()
        return booking

    return run
