"""A deposit paid out before the gig, in two browsers: the provider ticks "Pay my deposit out
before the gig" on their service, the client reads what happens on the booking form, pays the
deposit by card through the fake's hosted checkout, and after the timers' next run both pages say
the deposit went to the provider while GigSta holds the rest."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from bookings.models import Booking
from gigsta.tests.helpers import tasks_run
from payments.services.payouts import payouts_release
from tests.e2e import test_payment_journey as payment_journey
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

cast = payment_journey.cast
person = payment_journey.person
card_payments = payment_journey.card_payments
tls_certificate = payment_journey.tls_certificate
POLL = payment_journey.POLL


def test_a_deposit_paid_out_before_the_gig(live_server, cast, person, card_payments):
    fake = card_payments
    client, provider, service = cast
    base = live_server.url
    page, _ = person("client", ignore_https_errors=True)
    provider_page, provider_screenshot = person("provider", ignore_https_errors=True)
    page.route(f"{fake.base}/favicon.ico", lambda route: route.fulfill(status=204))

    # The provider connects payouts and sets the service to pay its 30 % deposit out early.
    log_in(provider_page, base, provider.email, PASSWORD)
    payment_journey.connect_payouts(provider_page, base, fake)
    provider_page.goto(f"{base}/dashboard/services/{service.public_id}/edit/")
    provider_page.get_by_label("Deposit (%)").fill("0")
    provider_page.get_by_label("Pay my deposit out before the gig").check()
    provider_page.get_by_role("button", name="Save changes").click()
    expect(provider_page.get_by_text("Set a deposit first")).to_be_visible()  # refused without a deposit
    provider_page.get_by_label("Deposit (%)").fill("30")
    provider_page.get_by_label("Pay my deposit out before the gig").check()
    provider_page.get_by_role("button", name="Save changes").click()
    expect(provider_page).to_have_url(f"{base}/dashboard/")
    service.refresh_from_db()
    assert (service.deposit_percent, service.deposit_paid_early) == (30, True)

    # The client reads on the booking form what happens to the deposit, then requests.
    log_in(page, base, client.email, PASSWORD)
    page.goto(f"{base}/services/{service.public_id}/book/")
    expect(page.get_by_test_id("hold-step")).to_contain_text(
        "GigSta pays the deposit on to Pete Provider within a day of your paying it"
    )
    booking_url = payment_journey.request_booking(page, base, service, days_ahead=60)
    booking = Booking.objects.get()
    assert (booking.payment_method, booking.deposit_paid_early) == ("stripe", True)
    provider_page.goto(booking_url)
    provider_page.get_by_test_id("action-accept").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("accepted")

    # The client pays the deposit on its own through the fake's hosted checkout.
    page.goto(booking_url)
    page.get_by_test_id("action-pay").click()
    page.get_by_test_id("pay-kind-deposit").check()
    page.get_by_test_id("pay-submit").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(fake.base)}/pay/cs_test_\w+$"))
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_test_id("checkout-done")).to_have_text("Payment received", timeout=POLL)

    # The timers' next run pays the deposit out; the rest is held until the release date.
    assert payouts_release(now=booking.starts_at) == 1
    tasks_run()
    (transfer,) = fake.transfers.values()
    assert transfer["amount"] == 30_000 - 3_000
    booking.refresh_from_db()
    until = f"{booking.payout_release_at:%-d %b %Y}"
    provider_page.goto(booking_url)
    holder = provider_page.get_by_test_id("money-holder")
    expect(holder).to_contain_text("GigSta paid the deposit, €270, to your Stripe account on")
    expect(holder).to_contain_text(f"pays you out on {until}")
    provider_screenshot("deposit-paid-out")
    page.goto(booking_url)
    expect(page.get_by_test_id("money-holder")).to_contain_text("GigSta paid your deposit on to Pete Provider on")
