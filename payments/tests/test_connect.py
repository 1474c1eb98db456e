"""Providers connect a Stripe Express account: no request calls Stripe (tasks do), the waiting
page hands over Stripe's one-time link, account.updated keeps the status, and only providers
whose payouts are on get card bookings."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import make_user
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_failed, tasks_run
from payments.models import PayoutAccount, WebhookEvent
from payments.tests.fake_stripe_connect import ACCOUNT_LINKS, ACCOUNTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def dj(db, fake_stripe):
    """A provider who has not connected (the cast's provider has: see the fake_stripe fixture)."""
    return make_user("nova@example.com", "DJ Nova", role=Role.PROVIDER)


def _connect(client, dj):
    client.force_login(dj)
    return client.post(reverse("payments:payouts_connect"))


def test_connecting_queues_the_stripe_calls_and_the_waiting_page_hands_over_the_link(client, dj, fake_stripe):
    response = _connect(client, dj)
    assert response.status_code == 302 and response.url == reverse("payments:payouts_onboarding")
    assert fake_stripe.requests == []  # the request itself never waits on Stripe
    waiting = client.get(reverse("payments:payouts_onboarding"))
    assert waiting.status_code == 200 and b"Preparing your Stripe page" in waiting.content
    tasks_run()
    account = PayoutAccount.objects.get(provider=dj)
    assert account.status == "details_needed" and account.stripe_account_id in fake_stripe.accounts
    go = client.get(reverse("payments:payouts_onboarding"), HTTP_HX_REQUEST="true")
    assert go.headers["HX-Redirect"].startswith(fake_stripe.base + "/connect/onboard/")
    assert client.get(reverse("payments:payouts_onboarding")).url == reverse("payments:payouts")  # used once


def test_a_second_press_reuses_the_account_and_only_asks_a_new_link(client, dj, fake_stripe):
    _connect(client, dj)
    tasks_run()
    _connect(client, dj)
    tasks_run()
    assert fake_stripe.creations[ACCOUNTS] == 1
    assert fake_stripe.creations[ACCOUNT_LINKS] == 2


def test_stripe_down_shows_on_the_waiting_page_and_the_retry_gets_the_link(client, dj, fake_stripe):
    fake_stripe.fail_next(ACCOUNTS, times=3)
    _connect(client, dj)
    tasks_run()
    assert len(tasks_failed()) == 1
    assert b"Stripe is not answering" in client.get(reverse("payments:payouts_onboarding")).content
    tasks_run(later=dt.timedelta(minutes=1))
    assert client.get(reverse("payments:payouts_onboarding")).url.startswith(fake_stripe.base)


def test_account_updated_turns_payouts_on_and_new_bookings_become_card_bookings(
    client, dj, fake_stripe, post_webhook, client_user
):
    service = make_service(dj)
    assert make_booking(client=client_user, service=service).payment_method == "manual"
    _connect(client, dj)
    tasks_run()
    account = PayoutAccount.objects.get(provider=dj)
    assert (
        post_webhook(fake_stripe.onboard(account.stripe_account_id, "pending")).json()["outcome"] == "account pending"
    )
    assert make_booking(client=client_user, service=service).payment_method == "manual"
    assert post_webhook(fake_stripe.onboard(account.stripe_account_id)).json()["outcome"] == "payouts on"
    assert make_booking(client=client_user, service=service).payment_method == "stripe"
    page = client.get(reverse("payments:payouts")).content.decode()
    assert 'data-testid="payout-status">Payouts on<' in page


def test_an_older_account_event_arriving_late_changes_nothing(client, dj, fake_stripe, post_webhook):
    _connect(client, dj)
    tasks_run()
    account_id = PayoutAccount.objects.get(provider=dj).stripe_account_id
    stale = fake_stripe.onboard(account_id, "pending")
    fresh = fake_stripe.onboard(account_id)
    stale["created"], fresh["created"] = 100, 200
    post_webhook(fresh)
    assert post_webhook(stale).json()["outcome"] == "ignored: older than the status we have"
    assert PayoutAccount.objects.get(provider=dj).status == "payouts_on"


def test_an_event_for_an_account_gigsta_did_not_create_is_acknowledged_and_ignored(fake_stripe, post_webhook):
    event = fake_stripe.event("account.updated", {"id": "acct_test_elsewhere", "object": "account"})
    event["account"] = "acct_test_elsewhere"
    response = post_webhook(event)
    assert (response.status_code, response.json()["outcome"]) == (200, "ignored: not a GigSta provider's account")
    assert not WebhookEvent.objects.exists()


def test_back_from_stripe_the_status_is_read_by_a_task(client, dj, fake_stripe):
    _connect(client, dj)
    tasks_run()
    account = PayoutAccount.objects.get(provider=dj)
    fake_stripe.onboard(account.stripe_account_id)  # the webhook is late
    fake_stripe.requests.clear()
    page = client.get(reverse("payments:payouts_return"), follow=True).content.decode()
    assert fake_stripe.requests == [] and "Checking your details with Stripe" in page
    tasks_run()
    assert PayoutAccount.objects.get(provider=dj).status == "payouts_on"


def test_an_expired_link_sends_the_provider_to_a_new_one(client, dj, fake_stripe):
    _connect(client, dj)
    tasks_run()
    client.get(reverse("payments:payouts_onboarding"))  # used
    response = client.get(reverse("payments:payouts_refresh"))
    assert response.url == reverse("payments:payouts_onboarding")
    tasks_run()
    assert client.get(reverse("payments:payouts_onboarding")).url.startswith(fake_stripe.base)


def test_clients_cannot_open_payouts_and_nothing_is_offered_without_cards(client, client_user, dj, settings):
    client.force_login(client_user)
    assert client.get(reverse("payments:payouts")).status_code == 403
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(dj)
    response = client.post(reverse("payments:payouts_connect"), follow=True)
    assert "GigSta does not take card payments" in response.content.decode()
    assert not PayoutAccount.objects.exists()


def test_the_dashboard_shows_the_payout_status(client, dj, fake_stripe):
    client.force_login(dj)
    page = client.get(reverse("catalog:dashboard")).content.decode()
    assert 'data-testid="payout-status">Not set up<' in page
    assert "pay you directly, by bank transfer or cash" in page
