"""With JavaScript off, a critical booking action asks on a page of its own before it is taken."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.state_machine import State
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from tests.e2e.helpers import SCREENSHOTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_withdrawing_without_javascript_asks_first(browser, viewport, live_server):
    provider = make_user("pete@example.com", "Pete Provider", role="provider")
    booker = make_user("carla@example.com", "Carla Client")
    booking = make_booking(client=booker, service=make_service(provider, title="Soul band for weddings"))
    context = browser.new_context(viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server.url, booker.email, PASSWORD)
        page.goto(f"{live_server.url}/bookings/{booking.public_id}/")
        page.get_by_test_id("action-withdraw").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw request?")
        expect(page.get_by_test_id("action-consequence")).to_contain_text("This cannot be undone.")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "no-js-withdraw-confirm.png", full_page=True)
        page.get_by_role("link", name="No, go back").click()
        expect(page.get_by_test_id("booking-state")).to_have_text("requested")

        page.get_by_test_id("action-withdraw").click()
        page.get_by_label("Note for Pete Provider (optional)").fill("Plans changed")
        page.get_by_test_id("confirm-withdraw").click()
        expect(page.get_by_test_id("booking-state")).to_have_text("cancelled")
    finally:
        context.close()
    booking.refresh_from_db()
    assert booking.state == State.CANCELLED
    assert booking.events.order_by("created_at", "pk").last().note.endswith(": Plans changed")
