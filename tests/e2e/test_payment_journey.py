"""Paying for a booking, in two browsers: the client's and the provider's.

By bank transfer (the provider marks the deposit and the balance as received, and later the
refund as sent) and by card, through a loopback fake of Stripe's hosted checkout and its
signed webhooks.
"""

import datetime as dt
import re
import shutil
import ssl
import subprocess
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Booking
from bookings.services import booking_transition
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from payments.models import Payment, PaymentEvent
from payments.services.payouts import payouts_release
from payments.tests.fake_stripe import FakeStripe, _Handler
from tests.e2e.helpers import SCREENSHOTS, answer_next_dialog, benign, in_days, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
POLL = 12_000  # the booking card refreshes itself every 5 s
MONEY_SHOTS = Path("/tmp/shots-money")
IBAN = "IBAN DE89 3704 0044 0532 0130 00"


@pytest.fixture
def cast(db, settings):
    settings.PLATFORM_FEE_PERCENT = 10
    provider = make_user("pete@example.com", "Pete Provider", role="provider")
    client = make_user("carla@example.com", "Carla Client")
    service = make_service(
        provider, title="Soul band for weddings", price_minor=100000, deposit_percent=30, city="Berlin, Germany"
    )
    return client, provider, service


@pytest.fixture
def person(browser, request):
    """Opens the browser of another person at their own computer: own cookies, own console.
    Returns (page, screenshot); console errors (CSP violations included) fail the test."""
    contexts = []

    def open_as(name: str, **options):
        context = browser.new_context(viewport=LAPTOP, **options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not benign(m.text) else None)
        contexts.append((name, context, errors))

        def screenshot(step: str) -> Path:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS / f"{request.node.name}-{name}-{step}.png"
            page.screenshot(path=str(path), full_page=True)
            return path

        return page, screenshot

    yield open_as
    for name, context, errors in contexts:
        context.close()
        assert not errors, f"Errors in the {name}'s browser console: {errors}"


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1: the fake's checkout page is served over https like Stripe's."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl makes the fake Stripe checkout page's certificate: apt-get install openssl.")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.fixture
def card_payments(settings, live_server, tls_certificate):
    """Card payments on, against a FakeStripe that sends its webhooks to the live server.

    Our server talks to the fake's API over plain loopback http. The hosted checkout page, where
    the browser goes, is served over https as Stripe's is: our CSP lets forms go to 'self' and
    https: only, so Chromium refuses to follow the pay form's redirect to an http page.
    Card payments must be on before a booking is requested: a booking keeps the method it was
    requested with."""
    with FakeStripe() as fake:
        settings.STRIPE_SECRET_KEY = fake.secret_key
        settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
        settings.STRIPE_API_BASE = fake.base
        fake.webhook_url = live_server.url + "/payments/stripe/webhook/"
        settings.SITE_URL = live_server.url  # where Checkout sends the client back
        checkout = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        checkout.fake, checkout.daemon_threads = fake, True
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(*tls_certificate)
        checkout.socket = tls.wrap_socket(checkout.socket, server_side=True)
        thread = threading.Thread(target=checkout.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        fake.base = f"https://127.0.0.1:{checkout.server_address[1]}"  # where new sessions' pages are
        try:
            yield fake
        finally:
            checkout.shutdown()
            checkout.server_close()
            thread.join(timeout=5)


def request_booking(page: Page, base_url: str, service, *, days_ahead: int, message: str = "") -> str:
    """The client fills in the booking form; returns the booking page's URL."""
    page.goto(f"{base_url}/services/{service.public_id}/")
    page.get_by_test_id("book").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a booking")
    page.get_by_label("Date", exact=True).fill(in_days(days_ahead).isoformat())
    page.get_by_label("Start time").fill("19:30")
    page.get_by_label("Venue").fill("Villa Rosa, Potsdam")
    if message:
        page.get_by_label("Message to the provider").fill(message)
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("booking-state")).to_have_text("requested")
    return page.url


def phone_screenshot(page: Page, request, name: str) -> Path:
    """The page as it is now, on a phone: the same person (cookies) in a second, phone-sized tab.
    (Resizing the page itself would do, but breaks Chromium's later full-page screenshots once the
    tab has been to another origin.)"""
    phone = page.context.new_page()
    errors: list[str] = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" and not benign(m.text) else None)
    phone.set_viewport_size(PHONE)
    phone.goto(page.url)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{request.node.name}-{name}.png"
    phone.screenshot(path=str(path), full_page=True)
    phone.close()
    assert not errors, f"Errors in the browser console on the phone: {errors}"
    return path


def test_bank_transfer_deposit_balance_receipts_and_refund(
    page: Page, live_server, screenshot, cast, person, settings, request
):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""  # no card payments: bank transfer or cash
    client, provider, service = cast
    provider_page, provider_screenshot = person("provider")

    # The provider says how clients pay them.
    log_in(provider_page, live_server.url, provider.email, PASSWORD)
    provider_page.goto(f"{live_server.url}/accounts/profile/")
    provider_page.get_by_label("How clients pay you").fill(f"Bank transfer to {IBAN}\nAccount holder: Pete Provider")
    provider_page.get_by_role("button", name="Save profile").click()
    expect(provider_page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(provider_page.get_by_label("How clients pay you")).to_have_value(
        f"Bank transfer to {IBAN}\nAccount holder: Pete Provider"
    )
    provider.provider_profile.refresh_from_db()
    assert provider.provider_profile.payment_instructions.startswith(f"Bank transfer to {IBAN}")

    # The client asks; the form already says how paying works.
    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(f"{live_server.url}/services/{service.public_id}/book/")
    summary = page.get_by_test_id("booking-summary")
    expect(summary).to_contain_text("confirmed once you have paid Pete Provider by bank transfer or cash")
    expect(summary).to_contain_text("You pay a 30 % deposit when accepted")
    booking_url = request_booking(page, live_server.url, service, days_ahead=60, message="Our wedding, 80 guests.")
    booking = Booking.objects.get()
    assert booking.payment_method == "manual" and booking.deposit_percent == 30
    reference = booking.reference
    expect(page.get_by_test_id("money")).to_contain_text("Nothing to pay yet")
    expect(page.get_by_test_id("money")).to_contain_text("you pay a 30 % deposit")
    expect(page.get_by_test_id("pay-instructions")).to_have_count(0)  # not before the provider accepts
    expect(page.get_by_text(IBAN)).to_have_count(0)

    # The provider sees what they would earn, and accepts.
    provider_page.goto(booking_url)
    expect(provider_page.get_by_test_id("payout-preview")).to_contain_text(
        "Carla Client pays €1,000 to you, GigSta's fee is €100 (10 %), and you keep €900"
    )
    provider_screenshot("request")
    provider_page.get_by_test_id("action-accept").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("accepted")
    provider_money = provider_page.get_by_test_id("money")
    expect(provider_money).to_contain_text("Waiting for €300 (deposit) or €1,000 (in full) from Carla Client")
    expect(provider_money).to_contain_text(reference)
    expect(provider_page.get_by_test_id("action-mark_deposit_paid")).to_have_text("Mark deposit as paid")
    expect(provider_page.get_by_test_id("action-mark_paid")).to_have_text("Mark as paid in full")

    # The client's page, left open, shows how and what to pay.
    expect(page.get_by_test_id("booking-state")).to_have_text("accepted", timeout=POLL)
    instructions = page.get_by_test_id("pay-instructions")
    expect(instructions).to_contain_text("Pay €300 (the deposit; or €1,000 in full) to Pete Provider")
    expect(instructions).to_contain_text(reference)
    expect(instructions).to_contain_text(IBAN)
    expect(instructions).to_contain_text("Account holder: Pete Provider")
    expect(page.get_by_test_id("action-pay")).to_have_count(0)  # no card button for a bank-transfer booking
    expect(page.get_by_test_id("action-withdraw")).to_be_visible()
    screenshot("accepted")
    phone_screenshot(page, request, "accepted-phone")

    # The pay page says the same.
    page.goto(f"{live_server.url}/bookings/{booking.public_id}/pay/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay for your booking")
    expect(page.get_by_test_id("pay-instructions")).to_contain_text("Pay €300 (the deposit) or €1,000 in full")
    expect(page.get_by_test_id("pay-instructions")).to_contain_text(IBAN)
    expect(page.get_by_test_id("pay-form")).to_have_count(0)
    expect(page.get_by_test_id("policy")).to_contain_text("full refund")
    screenshot("pay-page")
    page.goto(booking_url)
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads

    # The deposit arrives.
    provider_page.get_by_test_id("action-mark_deposit_paid").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("deposit paid")
    expect(provider_money.get_by_test_id("paid")).to_have_text("€300")
    expect(provider_money.get_by_test_id("balance")).to_have_text("€700")
    expect(provider_money).to_contain_text(re.compile(r"GigSta fee\s*€30 \(10 % of €300, invoiced to you\)"))
    expect(provider_money.get_by_test_id("payout")).to_have_text("€270")
    expect(provider_page.get_by_test_id("action-mark_deposit_paid")).to_have_count(0)
    provider_screenshot("deposit-paid")

    expect(page.get_by_test_id("booking-state")).to_have_text("deposit paid", timeout=POLL)
    expect(page.get_by_test_id("paid")).to_have_text("€300")
    expect(page.get_by_test_id("balance")).to_have_text("€700")
    expect(page.get_by_test_id("pay-instructions")).to_contain_text("Pay €700 (the balance) to Pete Provider")
    expect(page.get_by_test_id("money")).not_to_contain_text("GigSta fee")  # the fee is the provider's business
    screenshot("deposit-paid")

    # The balance arrives.
    provider_page.get_by_test_id("action-mark_paid").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("confirmed")
    expect(provider_money.get_by_test_id("paid")).to_have_text("€1,000")
    expect(provider_money.get_by_test_id("balance")).to_have_count(0)
    expect(provider_money).to_contain_text(re.compile(r"GigSta fee\s*€100 \(10 % of €1,000, invoiced to you\)"))
    expect(provider_money).to_contain_text(re.compile(r"You keep\s*€900 after the fee"))
    expect(provider_money.get_by_test_id("payout")).to_have_text("€900")
    provider_screenshot("confirmed")

    expect(page.get_by_test_id("booking-state")).to_have_text("confirmed", timeout=POLL)
    money = page.get_by_test_id("money")
    expect(money.get_by_test_id("paid")).to_have_text("€1,000")
    expect(money.get_by_test_id("balance")).to_have_count(0)
    expect(page.get_by_test_id("pay-instructions")).to_have_count(0)
    expect(page.get_by_test_id("refund-now")).to_contain_text("you would get back €1,000 (100 % of what you paid)")
    receipts = page.get_by_test_id("receipt-link")
    expect(receipts).to_have_text(["deposit, €300", "balance, €700"])
    assert page.evaluate("window.stillTheSamePage") is True  # it followed both payments by itself
    screenshot("confirmed")
    phone_screenshot(page, request, "confirmed-phone")

    # Receipts: the client's, and the provider's statement of the same payment.
    receipts.last.click()
    expect(page).to_have_url(re.compile(r"/payments/[0-9a-f-]{36}/receipt/$"))
    receipt_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Receipt")
    expect(page.get_by_test_id("receipt-amount")).to_have_text("€700")
    expect(page.get_by_test_id("receipt")).to_contain_text(reference)
    expect(page.get_by_test_id("receipt")).to_contain_text("balance by bank transfer or cash")
    expect(page.get_by_test_id("receipt-fee")).to_have_count(0)
    screenshot("receipt")
    provider_page.goto(receipt_url)
    expect(provider_page.get_by_role("heading", level=1)).to_have_text("Payment statement")
    expect(provider_page.get_by_test_id("receipt-amount")).to_have_text("€700")
    expect(provider_page.get_by_test_id("receipt-fee")).to_have_text("€70 (10 %)")
    expect(provider_page.get_by_test_id("receipt-payout")).to_have_text("€630")
    provider_screenshot("statement")
    page.get_by_role("link", name="Back to the booking").click()
    expect(page.get_by_test_id("booking-state")).to_have_text("confirmed")
    page.evaluate("window.stillTheSamePage = true")
    provider_page.goto(booking_url)

    # The client cancels well ahead: everything comes back, and the dialog says so.
    questions = answer_next_dialog(page, accept=True)
    page.get_by_test_id("action-cancel").click()
    expect(page.get_by_test_id("booking-state")).to_have_text("cancelled")
    assert questions == ["Cancel booking? You would get back €1,000 (100 % of what you paid). This cannot be undone."]
    expect(page.get_by_test_id("refund-pending")).to_have_text("€1,000")
    expect(page.get_by_test_id("refunded")).to_have_count(0)  # nothing has come back yet
    client_dues = page.get_by_test_id("refund-due")
    expect(client_dues).to_have_count(1)  # deposit and balance: one refund to the client
    expect(client_dues.first).to_contain_text("is to be refunded by Pete Provider")
    expect(page.get_by_test_id("refund-sent")).to_have_count(0)  # only the provider marks it
    screenshot("cancelled")

    # The provider's page follows, and they mark the one refund as sent.
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("cancelled", timeout=POLL)
    dues = provider_page.get_by_test_id("refund-due")
    expect(dues).to_have_count(1)
    expect(dues).to_contain_text("Please refund €1,000 to Carla Client by bank transfer or cash")
    expect(provider_page.get_by_test_id("no-actions")).to_have_text("One thing left: send the refund below.")
    provider_screenshot("refund-due")
    phone_screenshot(provider_page, request, "provider-refund-due-phone")
    provider_page.get_by_test_id("refund-sent").click()
    expect(provider_page.get_by_text("Marked as refunded. The client can see it on the booking.")).to_be_visible()
    expect(provider_page.get_by_test_id("refund-due")).to_have_count(0)
    expect(provider_page.get_by_test_id("refunded")).to_have_text("€1,000")
    provider_screenshot("refund-sent")

    refunds = PaymentEvent.objects.filter(kind=PaymentEvent.Kind.REFUNDED, payment__booking=booking)
    assert sum(r.amount_minor for r in refunds) == 100000
    assert all(r.actor_id == provider.pk for r in refunds)
    assert not PaymentEvent.objects.filter(kind=PaymentEvent.Kind.REFUND_DUE, settled_by__isnull=True).exists()

    # The client's page kept refreshing while the refund was due, and stops once it is settled.
    expect(page.get_by_test_id("refund-due")).to_have_count(0, timeout=POLL)
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.get_by_test_id("refunded")).to_have_text("€1,000")
    expect(page.get_by_test_id("event").last).to_contain_text("Refund sent by the provider")
    screenshot("refunded")


def shots(page: Page, name: str) -> None:
    """The page at 375 and 1280 px wide, in /tmp/shots-money/, in a second tab of the same person."""
    MONEY_SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (375, 1280):
        tab = page.context.new_page()
        tab.set_viewport_size({"width": width, "height": 900})
        tab.goto(page.url)
        tab.screenshot(path=str(MONEY_SHOTS / f"{name}-{width}.png"), full_page=True)
        tab.close()


def connect_payouts(provider_page: Page, base_url: str, fake: FakeStripe) -> None:
    """The provider sets up payouts from the dashboard, through the fake's hosted onboarding page.
    The test plays the task worker (tasks_run): the request only queues the Stripe calls."""
    provider_page.route(f"{fake.base}/favicon.ico", lambda route: route.fulfill(status=204))
    provider_page.goto(f"{base_url}/dashboard/")
    expect(provider_page.get_by_test_id("payout-status")).to_have_text("Not set up")
    provider_page.get_by_test_id("payout-card").get_by_role("link", name="Set up payouts").click()
    provider_page.get_by_test_id("payouts-connect").click()
    expect(provider_page.get_by_test_id("onboarding-waiting")).to_contain_text("Preparing your Stripe page")
    assert fake.accounts == {}  # nothing reached Stripe from the request
    tasks_run()
    expect(provider_page).to_have_url(re.compile(rf"^{re.escape(fake.base)}/connect/onboard/"), timeout=POLL)
    provider_page.get_by_role("button", name="Submit test details").click()
    expect(provider_page).to_have_url(f"{base_url}/payments/payouts/")
    assert ("account.updated", 200) in fake.deliveries
    tasks_run()  # the status read queued by the return page
    expect(provider_page.get_by_test_id("payout-status")).to_have_text("Payouts on", timeout=POLL)
    provider_page.goto(f"{base_url}/dashboard/")
    expect(provider_page.get_by_test_id("payout-status")).to_have_text("Payouts on")


def test_card_payment_through_stripe_checkout(live_server, cast, person, card_payments, request):
    fake = card_payments
    client, provider, service = cast
    page, screenshot = person("client", ignore_https_errors=True)  # the fake checkout's self-signed certificate
    provider_page, provider_screenshot = person("provider", ignore_https_errors=True)  # and its onboarding page
    # Stripe's page has an icon; the fake's does not, and Chromium would log its 404 as an error.
    page.route(f"{fake.base}/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(provider_page, live_server.url, provider.email, PASSWORD)
    connect_payouts(provider_page, live_server.url, fake)
    shots(provider_page, "dashboard-payouts-on")

    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(f"{live_server.url}/services/{service.public_id}/book/")
    expect(page.get_by_test_id("booking-summary")).to_contain_text("confirmed once you have paid by card")
    booking_url = request_booking(page, live_server.url, service, days_ahead=60)
    booking = Booking.objects.get()
    assert booking.payment_method == "stripe"
    expect(page.get_by_test_id("money")).to_contain_text("by card")

    provider_page.goto(booking_url)
    expect(provider_page.get_by_test_id("payout-preview")).to_contain_text("GigSta's fee is €100 (10 %)")
    provider_page.get_by_test_id("action-accept").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("accepted")
    expect(provider_page.get_by_test_id("action-mark_paid")).to_have_count(0)  # the card payment confirms it
    expect(provider_page.get_by_test_id("booking-status")).to_contain_text("as soon as Carla Client pays by card")

    expect(page.get_by_test_id("booking-state")).to_have_text("accepted", timeout=POLL)
    expect(page.get_by_test_id("action-pay")).to_have_text("Pay now: €300")
    screenshot("accepted")
    page.get_by_test_id("action-pay").click()

    expect(page).to_have_url(re.compile(rf"/bookings/{booking.public_id}/pay/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay for your booking")
    card = page.get_by_test_id("pay-card")
    expect(card).to_contain_text("€1,000")
    expect(card).to_contain_text("Included: €100 (10 %), paid by Pete Provider from the price")
    expect(page.get_by_test_id("pay-kind-deposit")).to_be_checked()
    expect(page.get_by_test_id("policy")).to_contain_text("You cancel 14 days or more before the gig: full refund.")
    expect(page.get_by_test_id("refund-now")).to_have_count(0)  # nothing paid yet
    page.get_by_text("Pay in full").click()
    expect(page.get_by_test_id("pay-kind-full")).to_be_checked()
    screenshot("pay")
    phone_screenshot(page, request, "client-pay-phone")

    page.get_by_test_id("pay-submit").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(fake.base)}/pay/cs_test_\w+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Soul band for weddings: full price")
    expect(page.get_by_text("Total:")).to_contain_text("1000.00 EUR")
    payment = Payment.objects.get()
    assert (payment.kind, payment.amount_minor, payment.status) == ("full", 100000, "pending")
    screenshot("fake-checkout")

    page.get_by_role("button", name="Pay").click()
    expect(page).to_have_url(f"{live_server.url}/payments/{payment.public_id}/success/")
    expect(page.get_by_test_id("checkout-done")).to_have_text("Payment received", timeout=POLL)
    expect(page.get_by_test_id("checkout-status")).to_contain_text("€1,000 for Soul band for weddings is paid")
    expect(page.get_by_test_id("checkout-status")).to_contain_text("Your booking is confirmed.")
    assert fake.deliveries[-2:] == [("checkout.session.completed", 200), ("payment_intent.succeeded", 200)]
    screenshot("success")

    page.get_by_role("link", name="See the booking").click()
    expect(page).to_have_url(booking_url)
    expect(page.get_by_test_id("booking-state")).to_have_text("confirmed")
    expect(page.get_by_test_id("paid")).to_have_text("€1,000")
    expect(page.get_by_test_id("action-pay")).to_have_count(0)
    expect(page.get_by_test_id("receipt-link")).to_have_text("full price, €1,000")
    expect(page.get_by_test_id("event").filter(has_text="Payment received by card")).to_have_count(1)
    screenshot("confirmed")
    page.get_by_test_id("receipt-link").click()
    expect(page.get_by_test_id("receipt-amount")).to_have_text("€1,000")
    expect(page.get_by_test_id("receipt")).to_contain_text("full price by card")

    expect(provider_page.get_by_test_id("booking-state")).to_have_text("confirmed", timeout=POLL)
    expect(provider_page.get_by_test_id("payout")).to_have_text("€900")
    provider_screenshot("confirmed")
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert booking.state == "confirmed" and payment.status == "succeeded"
    until = f"{booking.payout_release_at:%-d %b %Y}"
    page.goto(booking_url)
    expect(page.get_by_test_id("money-holder")).to_contain_text(f"GigSta holds your payment until {until}")
    expect(provider_page.get_by_test_id("money-holder")).to_contain_text(f"pays you €900 on {until}")
    shots(provider_page, "card-booking-money-held")

    # The gig happens; the provider marks it completed; the timers release the payout after the window.
    booking_transition(booking=booking, action="complete", actor=provider, now=booking.starts_at)
    assert payouts_release(now=booking.payout_release_at - dt.timedelta(minutes=1)) == 0
    assert payouts_release(now=booking.payout_release_at) == 1
    tasks_run()
    (transfer,) = fake.transfers.values()
    assert transfer["amount"] == 90000
    assert fake.balance() == 10000  # GigSta's fee stays; the rest went to Pete's account
    provider_page.reload()
    expect(provider_page.get_by_test_id("money-holder")).to_contain_text("GigSta paid €900 to your Stripe account")
    shots(provider_page, "card-booking-money-paid-out")
    provider_page.goto(f"{live_server.url}/payments/payouts/")
    expect(provider_page.get_by_test_id("payout-line")).to_contain_text("Paid out")
    shots(provider_page, "payouts-page")
