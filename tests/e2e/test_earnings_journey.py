"""A provider's earnings, in two browsers: the provider connects Stripe through the fake's hosted
onboarding page, the client pays by card through the fake's hosted checkout, the gig completes,
the timers release the payout after the dispute window, and the earnings page, its chart and its
CSV show the money paid out."""

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from bookings.models import Booking
from bookings.services import booking_transition
from gigsta.tests.helpers import tasks_run
from payments.models import Payment, PaymentEvent
from payments.services.payouts import payouts_release
from tests.e2e import test_payment_journey as payment_journey
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The payment journey's cast (Pete, Carla, a €1,000 soul band), its browsers and its fake Stripe.
cast = payment_journey.cast
person = payment_journey.person
card_payments = payment_journey.card_payments
tls_certificate = payment_journey.tls_certificate
POLL = payment_journey.POLL


def ledger_of(booking: Booking) -> list[tuple[str, str, int, str]]:
    return [
        (e.kind, e.payment.kind, e.amount_minor, e.provider_reference.split("_")[0])  # cs_…, evt_…, tr_…
        for e in PaymentEvent.objects.filter(payment__booking=booking)
        .select_related("payment")
        .order_by("created_at", "pk")
    ]


def test_a_card_payout_reaches_the_earnings_page_and_its_chart(live_server, cast, person, card_payments):
    fake = card_payments
    client, provider, service = cast
    base = live_server.url
    page, _ = person("client", ignore_https_errors=True)  # the fake checkout's self-signed certificate
    provider_page, provider_screenshot = person("provider", ignore_https_errors=True)  # and its onboarding page
    page.route(f"{fake.base}/favicon.ico", lambda route: route.fulfill(status=204))

    # The provider connects through the fake Stripe's hosted onboarding page; no money yet.
    log_in(provider_page, base, provider.email, PASSWORD)
    payment_journey.connect_payouts(provider_page, base, fake)
    provider_page.get_by_test_id("earnings-link").click()
    expect(provider_page).to_have_url(f"{base}/payments/earnings/")
    expect(provider_page.get_by_test_id("earnings-empty")).to_contain_text("No money yet")
    provider_screenshot("earnings-empty")

    # The client books, the provider accepts, the client pays in full by card.
    log_in(page, base, client.email, PASSWORD)
    booking_url = payment_journey.request_booking(page, base, service, days_ahead=60)
    booking = Booking.objects.get()
    assert booking.payment_method == "stripe"
    provider_page.goto(booking_url)
    provider_page.get_by_test_id("action-accept").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("accepted")
    page.goto(booking_url)
    page.get_by_test_id("action-pay").click()
    page.get_by_text("Pay in full").click()
    page.get_by_test_id("pay-submit").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(fake.base)}/pay/cs_test_\w+$"))
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_test_id("checkout-done")).to_have_text("Payment received", timeout=POLL)
    payment = Payment.objects.get(status="succeeded")
    assert (payment.kind, payment.amount_minor) == ("full", 100000)

    # GigSta holds it: the earnings page says until when, the same date the timers use.
    booking.refresh_from_db()
    until = f"{booking.payout_release_at:%-d %b %Y}"
    provider_page.goto(f"{base}/payments/earnings/")
    expect(provider_page.get_by_test_id("total-card")).to_have_text("€1,000")
    expect(provider_page.get_by_test_id("total-held")).to_have_text("€900")
    expect(provider_page.get_by_test_id("upcoming-line")).to_contain_text(until)
    expect(provider_page.get_by_test_id("upcoming-line")).to_contain_text("€900")
    expect(provider_page.locator(".earnings-chart__bar--paid_out")).to_have_count(0)

    # The gig happens and completes; the timers release the payout once the window has closed.
    booking_transition(booking=booking, action="complete", actor=provider, now=booking.starts_at)
    assert payouts_release(now=booking.payout_release_at - dt.timedelta(minutes=1)) == 0
    assert payouts_release(now=booking.payout_release_at) == 1
    tasks_run()  # the worker sends the transfer
    (transfer,) = fake.transfers.values()
    assert transfer["amount"] == 90000

    provider_page.reload()
    expect(provider_page.get_by_test_id("total-paid-out")).to_contain_text("€900")
    expect(provider_page.get_by_test_id("total-held")).to_have_text("€0")
    expect(provider_page.get_by_test_id("total-fees")).to_contain_text("€100")
    expect(provider_page.get_by_test_id("earnings-upcoming")).to_have_count(0)
    expect(provider_page.get_by_test_id("booking-line")).to_contain_text("Paid out")
    chart = provider_page.get_by_test_id("earnings-chart")
    expect(chart.locator("title").first).to_contain_text("payouts per month")
    bar = chart.locator(".earnings-chart__bar--paid_out")
    expect(bar).to_have_count(1)
    expect(bar.locator("title")).to_contain_text("paid out to you: €900")
    assert float(bar.get_attribute("height")) > 0
    this_month = provider_page.get_by_test_id("month-row").last
    expect(this_month).to_contain_text("€1,000")
    expect(this_month).to_contain_text("€900")
    provider_screenshot("earnings-paid-out")
    payment_journey.shots(provider_page, "earnings-paid-out")  # 375 and 1280 px

    # The CSV, downloaded from the page's form.
    provider_page.get_by_label("Year").fill(str(dt.datetime.now(dt.UTC).year))
    with provider_page.expect_download() as download:
        provider_page.get_by_test_id("export-submit").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [(r["kind"], r["gross"], r["fee"], r["net"], r["status"]) for r in rows] == [
        ("Payment received", "1000.00", "100.00", "900.00", "paid out"),
        ("Payout due", "900.00", "", "", "sent"),
        ("Paid out to the provider", "900.00", "", "", "sent"),
    ]

    # The ledger of the booking, as the closing note gives it.
    assert ledger_of(booking) == [
        ("checkout_started", "full", 100000, "cs"),  # the Checkout Session
        ("captured", "full", 100000, "evt"),  # the webhook event that captured it
        ("payout_due", "full", 90000, ""),  # written by the timers after the window
        ("paid_out", "full", 90000, "tr"),  # the Stripe transfer sent by the payout_send task
    ]


def test_a_provider_paid_directly_reads_the_months_fee_statement(live_server, page, screenshot):
    from accounts.models import Role
    from accounts.tests.factories import make_user
    from bookings.tests.factories import make_booking
    from catalog.tests.factories import make_service

    provider = make_user("dora@example.com", "Dora Direct", role=Role.PROVIDER)
    client = make_user("carla@example.com", "Carla Client")
    for title, price in (("Jazz trio", 80_000), ("Piano", 45_050)):
        make_booking(
            client=client, service=make_service(provider, title=title, price_minor=price), to_state="completed"
        )
    log_in(page, live_server.url, provider.email, PASSWORD)
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_test_id("earnings-link").click()
    expect(page.get_by_test_id("total-direct")).to_contain_text("€1,250.50")
    expect(page.get_by_test_id("total-fees")).to_contain_text("€125.05")
    month = dt.datetime.now(dt.UTC)
    page.get_by_role("link", name=f"{month:%B %Y}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"GigSta fees, {month:%B %Y}")
    expect(page.get_by_test_id("statement-line")).to_have_count(2)
    expect(page.get_by_test_id("statement-total")).to_contain_text("€1,250.50")
    expect(page.get_by_test_id("statement-owed")).to_have_text(f"Fees owed to GigSta for {month:%B %Y}: €125.05.")
    expect(page.get_by_test_id("statement-how")).to_contain_text("GigSta invoices it to you")
    screenshot("statement")
    payment_journey.shots(page, "fee-statement")
    with page.expect_download() as download:
        page.get_by_test_id("statement-csv").click()
    assert download.value.suggested_filename == f"gigsta-fees-{month:%Y-%m}.csv"
