"""A dispute resolved with part of the money back, in three browsers: the client's, the
provider's and GigSta staff's.

The client pays by card (a loopback fake of Stripe's checkout and webhooks), the gig happens, the
client reports a problem; staff find it in the admin's open-disputes queue, read the thread, and
refund part of the price with a note on the confirmation page. The client sees the refund, the
provider the reduced payout, and the booking's ledger adds up to FakeStripe's balance.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Booking
from bookings.services import message_create
from bookings.tests.files import pdf
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from payments.models import PaymentEvent
from payments.services.payouts import payouts_release
from payments.tests.conftest import connect_provider
from tests.e2e.helpers import answer_next_dialog, log_in

# The card journey's fixtures: a FakeStripe with an https checkout page, and a browser per person.
from tests.e2e.test_payment_journey import (  # noqa: F401 (fixtures)
    POLL,
    card_payments,
    person,
    request_booking,
    tls_certificate,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Money on GigSta's Stripe balance, per ledger line (as payments/tests/stripe_flow/test_payouts.py).
SIGNS = {"captured": 1, "refunded": -1, "paid_out": -1, "payout_reversed": 1, "chargeback": -1, "chargeback_won": 1}


def ledger_rows(booking: Booking) -> list[tuple[str, int, str]]:
    entries = PaymentEvent.objects.filter(payment__booking=booking).order_by("created_at", "pk")
    return [(e.kind, e.amount_minor, e.note) for e in entries]


def test_a_dispute_resolved_with_a_partial_refund(live_server, person, card_payments, settings):  # noqa: F811
    fake = card_payments
    settings.PLATFORM_FEE_PERCENT = 10
    provider = make_user("pete@example.com", "Pete Provider", role="provider")
    client = make_user("carla@example.com", "Carla Client")
    staff = make_user("stella@example.com", "Stella Staff", is_staff=True, is_superuser=True)
    service = make_service(provider, title="Soul band for weddings", price_minor=100_000, city="Berlin, Germany")
    connect_provider(fake, provider)  # payouts on: the booking is paid by card

    page, screenshot = person("client", ignore_https_errors=True)  # the fake checkout's self-signed certificate
    provider_page, provider_screenshot = person("provider")
    staff_page, staff_screenshot = person("staff")
    page.route(f"{fake.base}/favicon.ico", lambda route: route.fulfill(status=204))
    # Django's admin pages name no icon, so Chromium asks for /favicon.ico, which the site has not.
    staff_page.route(f"{live_server.url}/favicon.ico", lambda route: route.fulfill(status=204))

    # The client books, the provider accepts, the client pays by card.
    log_in(page, live_server.url, client.email, PASSWORD)
    booking_url = request_booking(page, live_server.url, service, days_ahead=30)
    booking = Booking.objects.get()
    assert booking.payment_method == "stripe"
    log_in(provider_page, live_server.url, provider.email, PASSWORD)
    provider_page.goto(booking_url)
    provider_page.get_by_test_id("action-accept").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("accepted")
    expect(page.get_by_test_id("booking-state")).to_have_text("accepted", timeout=POLL)
    page.get_by_test_id("action-pay").click()
    page.get_by_test_id("pay-submit").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(fake.base)}/pay/cs_test_\w+$"))
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_test_id("checkout-done")).to_have_text("Payment received", timeout=POLL)
    page.goto(booking_url)
    expect(page.get_by_test_id("booking-state")).to_have_text("confirmed")
    expect(page.get_by_test_id("paid")).to_have_text("€1,000")

    # The gig happens (yesterday evening, as far as the booking knows); the provider marks it done.
    ended = timezone.now() - dt.timedelta(days=1)
    Booking.objects.filter(pk=booking.pk).update(starts_at=ended - dt.timedelta(hours=3), ends_at=ended)
    provider_page.goto(booking_url)
    provider_page.get_by_test_id("action-complete").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("completed")

    # The client reports a problem, with a note, and the evidence in the thread.
    message_create(
        booking=booking,
        author=client,
        body="The contract says three sets; they played one.",
        files=[pdf("contract.pdf")],
    )
    page.goto(booking_url)
    expect(page.get_by_test_id("booking-state")).to_have_text("completed")
    page.locator("#note-dispute summary").click()
    page.locator("#note-dispute-text").fill("Only one set of three was played.")
    questions = answer_next_dialog(page, accept=True)
    page.get_by_test_id("action-dispute").click()
    expect(page.get_by_test_id("booking-state")).to_have_text("disputed")
    assert questions == ["Report a problem? This cannot be undone."]
    expect(page.get_by_test_id("money-holder")).to_contain_text("GigSta holds the payment until staff resolve")
    screenshot("disputed")
    tasks_run()  # the worker: the parties' emails and the staff email

    # Staff find it in the queue, read the evidence, and refund part with a note.
    log_in(staff_page, live_server.url, staff.email, PASSWORD)
    staff_page.goto(f"{live_server.url}/admin/bookings/booking/")
    staff_page.get_by_role("link", name="Open disputes").click()
    rows = staff_page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("0 days open")
    expect(rows.first).to_contain_text("€1,000")
    staff_screenshot("queue")
    rows.first.locator("th a").click()
    panel = staff_page.get_by_test_id("dispute-panel")
    expect(panel.get_by_test_id("dispute-note")).to_have_text("Dispute opened: Only one set of three was played.")
    expect(panel.get_by_test_id("dispute-money")).to_contain_text("€1,000 by card: GigSta holds it.")
    expect(staff_page.get_by_role("link", name="contract.pdf")).to_be_visible()
    expect(staff_page.locator('input[name="_save"]')).to_have_count(0)
    staff_screenshot("evidence")
    panel.get_by_test_id("resolve-resolve_partial").click()
    expect(staff_page.get_by_test_id("resolve-effect")).to_contain_text("It goes back to Carla Client's card")
    staff_page.get_by_test_id("resolve-confirm").click()  # nothing filled in: the form says what is missing
    expect(staff_page.locator(".errorlist")).to_have_count(2)
    staff_page.get_by_label("Refund to the client (EUR)").fill("1000.01")
    staff_page.get_by_label("Note").fill("One set of three: a quarter back, as agreed with both.")
    staff_page.get_by_test_id("resolve-confirm").click()
    expect(staff_page.locator(".errorlist")).to_contain_text("Refund at most €1,000")
    staff_page.get_by_label("Refund to the client (EUR)").fill("250")
    staff_screenshot("confirm")
    staff_page.get_by_test_id("resolve-confirm").click()
    expect(staff_page.locator(".messagelist")).to_contain_text(
        "Done: Dispute resolved, part refunded: €250 back to the client: One set of three"
    )
    staff_screenshot("resolved")
    tasks_run()  # the worker sends the refund to Stripe and the emails
    assert [r["amount"] for r in fake.refunds.values()] == [25_000]

    # The client sees the refund; the provider the reduced payout.
    page.goto(booking_url)
    expect(page.get_by_test_id("booking-state")).to_have_text("completed")
    expect(page.get_by_test_id("booking-status")).to_contain_text(
        "The dispute was resolved by GigSta staff: €250 is on its way back to your card; "
        "Pete Provider is paid the rest."
    )
    expect(page.get_by_test_id("refunded")).to_have_text("€250")
    expect(page.get_by_test_id("action-dispute")).to_have_count(0)  # disputed once: the decision stands
    expect(page.get_by_test_id("event").filter(has_text="a quarter back")).to_have_count(1)
    screenshot("refunded")
    provider_page.goto(booking_url)
    expect(provider_page.get_by_test_id("booking-status")).to_contain_text(
        "€250 goes back to Carla Client\u2019s card, and GigSta pays you the rest less its fee"
    )
    expect(provider_page.get_by_test_id("payout")).to_have_text("€675")
    booking.refresh_from_db()
    until = f"{booking.payout_release_at:%-d %b %Y}"
    expect(provider_page.get_by_test_id("money-holder")).to_contain_text(f"pays you €675 on {until}")
    provider_screenshot("reduced-payout")

    # After the dispute window the payout goes out, once.
    booking.refresh_from_db()
    assert payouts_release(now=booking.payout_release_at) == 1
    tasks_run()
    assert payouts_release(now=booking.payout_release_at + dt.timedelta(days=1)) == 0
    assert [t["amount"] for t in fake.transfers.values()] == [67_500]
    provider_page.reload()
    expect(provider_page.get_by_test_id("money-holder")).to_contain_text("GigSta paid €675 to your Stripe account")

    rows = ledger_rows(booking)
    print("\nLedger of the booking:")
    for kind, amount, note in rows:
        print(f"| {kind} | {amount / 100:,.2f} EUR | {note} |")
    assert [(kind, amount) for kind, amount, _ in rows] == [
        ("checkout_started", 100_000),
        ("captured", 100_000),
        ("refund_due", 25_000),
        ("refunded", 25_000),
        ("payout_due", 67_500),
        ("paid_out", 67_500),
    ]
    balance = sum(SIGNS.get(kind, 0) * amount for kind, amount, _ in rows)
    assert fake.balance() == balance == 7_500  # GigSta's 10 % fee on the €750 kept
