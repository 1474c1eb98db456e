"""The whole conversation, in two browsers: a client asks for six hours of a DJ booked by the
hour; the provider, landing on the dashboard after log-in, sees the request waiting with the
time left to answer and answers it with an offer at another price; the client sees the offer
appear without reloading and accepts it; they exchange two messages, one with a file; and each
one's inbox badge counts what the other did, and clears when they read it."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Booking
from bookings.tests.files import image_bytes
from tests.e2e.helpers import SCREENSHOTS, hourly_dj, in_days, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIVE = 15_000  # the booking card polls every 5 s


def badge(page: Page):
    return page.get_by_test_id("inbox-count")


def test_request_offer_accept_messages_and_inbox_badges(page: Page, live_server, second_browser, tmp_path):
    provider_page, _ = second_browser
    provider = make_user("nova@example.com", "DJ Nova", role="provider")
    client = make_user("carla@example.com", "Carla Client")
    service = hourly_dj(provider)

    # The client asks for six hours.
    log_in(page, live_server.url, client.email, PASSWORD)
    expect(badge(page)).to_have_count(0)
    page.goto(f"{live_server.url}/services/{service.public_id}/book/")
    page.get_by_label("Date", exact=True).fill(in_days(21).isoformat())
    page.get_by_label("Start time").fill("20:00")
    page.get_by_label("Duration (minutes)").fill("360")
    expect(page.get_by_test_id("booking-price")).to_contain_text("€540")
    page.get_by_label("Venue").fill("Rooftop bar, Kreuzberg")
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("deadline")).to_contain_text("DJ Nova has until ")
    expect(page.get_by_test_id("deadline")).to_contain_text("to answer — 47 hours left")
    booking = Booking.objects.get()

    # The provider logs in and lands on the dashboard, where the request waits; the badge says 1.
    log_in(provider_page, live_server.url, provider.email, PASSWORD)
    expect(provider_page).to_have_url(f"{live_server.url}/dashboard/")
    expect(badge(provider_page)).to_have_text("1")
    requests = provider_page.get_by_test_id("waiting-requests")
    expect(requests).to_contain_text("Party DJ by the hour")
    expect(requests).to_contain_text("You have until ")
    provider_page.get_by_role("link", name="Party DJ by the hour").first.click()
    expect(provider_page).to_have_url(f"{live_server.url}/bookings/{booking.public_id}/")
    expect(badge(provider_page)).to_have_count(0)  # opening the booking read what the inbox said of it

    # The provider offers another price; the client's open page shows it by itself.
    page.evaluate("window.samePage = true")
    offer_form = provider_page.get_by_test_id("offer-form")
    offer_form.get_by_text("Send an offer instead").click()
    offer_form.get_by_label("Price (EUR)").fill("620")
    offer_form.get_by_role("button", name="Send offer").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("offered")
    expect(provider_page.get_by_test_id("deadline")).to_contain_text("Carla Client has until ")
    expect(page.get_by_test_id("booking-state")).to_have_text("offered", timeout=LIVE)
    expect(page.get_by_test_id("offer-price")).to_have_text("€620")
    expect(page.get_by_test_id("deadline")).to_contain_text("You have until ")
    expect(page.get_by_test_id("deadline")).to_contain_text("to accept or decline the offer")
    expect(badge(page)).to_have_text("1")  # out of band with the card
    page.get_by_test_id("action-accept_offer").click()
    expect(page.get_by_test_id("booking-state")).to_have_text("accepted")
    expect(page.get_by_test_id("deadline")).to_contain_text("DJ Nova has until ")
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("accepted", timeout=LIVE)
    expect(badge(provider_page)).to_have_text("1", timeout=LIVE)
    assert page.evaluate("window.samePage") is True

    # Two messages, the first with a file.
    plan = tmp_path / "stage plan.png"
    plan.write_bytes(image_bytes("PNG", size=(320, 200)))
    page.get_by_label("Message", exact=True).fill("Here is the stage plan.")
    page.get_by_label("Attach files").set_input_files(str(plan))
    page.get_by_test_id("message-send").click()
    expect(page.get_by_test_id("message")).to_have_count(1)
    expect(provider_page.get_by_test_id("message")).to_have_count(1, timeout=LIVE)
    expect(provider_page.get_by_test_id("attachment")).to_contain_text("stage plan.png")
    expect(badge(provider_page)).to_have_text("2", timeout=LIVE)
    provider_page.get_by_label("Message", exact=True).fill("Got it, I will bring the long cables.")
    provider_page.get_by_test_id("message-send").click()
    expect(page.get_by_test_id("message")).to_have_count(2, timeout=LIVE)
    expect(badge(page)).to_have_text("2", timeout=LIVE)

    # Each reads their inbox: the client all at once, the provider one by one.
    page.get_by_test_id("inbox-link").click()
    expect(page.get_by_test_id("notification")).to_have_count(2)
    expect(page.get_by_test_id("notification").first).to_contain_text("DJ Nova wrote “Got it, I will bring")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inbox-journey-client-inbox.png"), full_page=True)
    page.get_by_test_id("read-all").click()
    expect(badge(page)).to_have_count(0)
    expect(page.get_by_role("heading", name="All read")).to_be_visible()

    provider_page.get_by_test_id("inbox-link").click()
    items = provider_page.get_by_test_id("notification")
    expect(items).to_have_count(3)  # the request (read), the acceptance, the message
    expect(items.first).to_contain_text("Carla Client wrote “Here is the stage plan.”")
    provider_page.get_by_test_id("read-one").first.click()
    expect(badge(provider_page)).to_have_text("1")
    provider_page.get_by_test_id("read-one").first.click()
    expect(badge(provider_page)).to_have_count(0)
    expect(provider_page.get_by_test_id("read-one")).to_have_count(0)
