"""A client saves two services, then sends both the same request from the Saved page."""

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Booking
from catalog.tests.factories import make_service
from tests.e2e.helpers import in_days, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 740}], ids=["phone"])
def test_client_saves_two_services_and_asks_both_at_once(page: Page, live_server, screenshot):
    band = make_service(make_user("pete@example.com", "Pete Provider", role="provider"), title="Soul band")
    dj = make_service(make_user("nova@example.com", "DJ Nova", role="provider"), title="Party DJ")
    client = make_user("carla@example.com", "Carla Client")
    log_in(page, live_server.url, client.email, PASSWORD)
    for service in (band, dj):
        page.goto(f"{live_server.url}/services/{service.public_id}/")
        page.get_by_test_id("save-toggle").get_by_role("button").click()
        expect(page.get_by_test_id("save-toggle").get_by_role("button")).to_have_attribute("aria-pressed", "true")

    page.goto(f"{live_server.url}/saved/")
    page.get_by_label("Soul band").check()
    page.get_by_label("Party DJ").check()
    page.get_by_label("Date").fill(in_days(30).isoformat())
    page.get_by_label("Start time").fill("19:00")
    page.get_by_label("Venue").fill("Villa Rosa, Potsdam")
    screenshot("saved-request")
    page.get_by_role("button", name="Send requests").click()
    expect(page.get_by_test_id("sent")).to_contain_text("Sent to Pete Provider")
    expect(page.get_by_test_id("sent")).to_contain_text("Sent to DJ Nova")
    screenshot("saved-sent")
    assert sorted(Booking.objects.values_list("service__title", flat=True)) == ["Party DJ", "Soul band"]
