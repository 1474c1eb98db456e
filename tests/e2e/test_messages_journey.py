"""Two people write to each other on a booking page: the client sends a message with a file, and
the provider, with the page open in another browser, sees it appear without reloading."""

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Message
from bookings.tests.factories import make_booking
from bookings.tests.files import image_bytes
from catalog.tests.factories import make_service
from tests.e2e.helpers import SCREENSHOTS, log_in, open_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}


def test_a_message_with_a_file_appears_on_the_other_partys_open_page(page: Page, live_server, browser, tmp_path):
    provider = make_user("pete@example.com", "Pete Provider", role="provider")
    client = make_user("carla@example.com", "Carla Client")
    booking = make_booking(client=client, service=make_service(provider, title="Soul band for weddings"))
    url = f"{live_server.url}/bookings/{booking.public_id}/"

    other, provider_page, errors = open_page(browser, PHONE)  # the provider, on a phone, page open
    log_in(provider_page, live_server.url, provider.email, PASSWORD)
    provider_page.goto(url)
    expect(provider_page.get_by_test_id("thread-empty")).to_be_visible()
    provider_page.evaluate("window.samePage = true")  # gone if the page reloads

    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(url)
    page.evaluate("window.samePage = true")
    plan = tmp_path / "floor plan.png"
    plan.write_bytes(image_bytes("PNG", size=(320, 200)))
    page.get_by_label("Message", exact=True).fill("Here is the floor plan <with the stage>.")
    page.get_by_label("Attach files").set_input_files(str(plan))
    page.get_by_test_id("message-send").click()

    mine = page.get_by_test_id("message")
    expect(mine).to_have_count(1)  # swapped in by htmx: the same page, no reload
    expect(mine).to_contain_text("Here is the floor plan <with the stage>.")
    expect(page.get_by_label("Message", exact=True)).to_have_value("")  # the form is empty again
    assert page.evaluate("window.samePage") is True

    # The provider's page polls: the message and its file arrive without a reload.
    theirs = provider_page.get_by_test_id("message")
    expect(theirs).to_contain_text("Here is the floor plan <with the stage>.", timeout=15_000)
    attachment = theirs.get_by_test_id("attachment")
    expect(attachment).to_contain_text("floor plan.png")
    preview = attachment.locator("img")
    expect(preview).to_be_visible()
    provider_page.wait_for_function("img => img.complete && img.naturalWidth === 320", arg=preview.element_handle())
    assert provider_page.evaluate("window.samePage") is True
    assert provider_page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    provider_page.screenshot(path=str(SCREENSHOTS / "messages-provider-phone.png"), full_page=True)

    # And the answer goes back the same way.
    provider_page.get_by_label("Message", exact=True).fill("Thanks, I can see the stage.")
    provider_page.get_by_test_id("message-send").click()
    expect(page.get_by_test_id("message")).to_have_count(2, timeout=15_000)
    expect(page.get_by_test_id("message").last).to_contain_text("Thanks, I can see the stage.")
    assert [m.body for m in Message.objects.order_by("created_at")][1] == "Thanks, I can see the stage."
    other.close()
    assert not errors, f"Errors in the provider's console: {errors}"
