"""The webhook pages: add (secret once), the delivery log, send again, delete; yours alone."""

import pytest
from django.urls import reverse

from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from webhooks.models import Subscription
from webhooks.services import secret_of, subscription_create
from webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with Receiver() as receiver:
        yield receiver


def test_adding_a_webhook_shows_its_secret_once(client, provider, receiver):
    client.force_login(provider)
    url = reverse("webhooks:list")
    added = client.post(url, {"url": receiver.url, "events": "booking.accept, booking.cancel"})
    page = added.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.events == ["booking.accept", "booking.cancel"]
    assert secret_of(subscription) in page and added["Cache-Control"] == "no-store"
    again = client.get(url).content.decode()
    assert receiver.url in again and secret_of(subscription) not in again


def test_a_bad_address_is_a_form_error_and_nothing_is_saved(client, provider, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    client.force_login(provider)
    response = client.post(reverse("webhooks:list"), {"url": "http://example.com/x", "events": "booking.*"})
    assert response.status_code == 200 and "Use an https:// address." in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_log_shows_each_delivery_and_sends_one_again(client, client_user, provider, stranger, receiver):
    subscription, _ = subscription_create(owner=provider, url=receiver.url, events=["booking.*"])
    make_booking(client=client_user, service=make_service(provider), to_state="accepted")
    client.force_login(provider)
    detail = reverse("webhooks:detail", args=[subscription.public_id])
    page = client.get(detail).content.decode()
    assert page.count('data-testid="delivery"') == 2 and "booking.accept" in page and "Delivered" in page
    delivery = subscription.deliveries.first()
    redeliver = reverse("webhooks:redeliver", args=[subscription.public_id, delivery.public_id])
    assert client.post(redeliver).status_code == 302

    client.force_login(stranger)
    assert client.get(detail).status_code == 404
    assert client.post(redeliver).status_code == 404
    assert client.post(reverse("webhooks:delete", args=[subscription.public_id])).status_code == 404
    client.force_login(provider)
    assert client.post(reverse("webhooks:delete", args=[subscription.public_id])).status_code == 302
    assert not Subscription.objects.exists()
