"""A client asks for six hours of a DJ booked by the hour and watches the price follow the
length; the provider answers with an offer at another price; the client sees it appear on their
page without reloading, accepts it, and the booking is held at the offered price."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Booking
from tests.e2e.helpers import hourly_dj, in_days, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_hourly_request_answered_with_an_offer_and_accepted(page: Page, live_server, screenshot, second_browser):
    provider = make_user("nova@example.com", "DJ Nova", role="provider")
    client = make_user("carla@example.com", "Carla Client")
    service = hourly_dj(provider)

    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(f"{live_server.url}/services/{service.public_id}/")
    expect(page.get_by_test_id("service-price")).to_have_text("€90 an hour")
    page.get_by_test_id("book").click()
    price = page.get_by_test_id("booking-price")
    expect(price).to_contain_text("Price for 3 h")
    expect(price).to_contain_text("€270")
    page.get_by_label("Date", exact=True).fill(in_days(21).isoformat())
    page.get_by_label("Start time").fill("20:00")
    page.get_by_label("Duration (minutes)").fill("360")
    expect(price).to_contain_text("Price for 6 h")  # swapped by htmx as the length is typed
    expect(price).to_contain_text("€540")
    page.get_by_label("Duration (minutes)").fill("60")
    expect(price).to_contain_text("booked for at least 2 hours")
    page.get_by_label("Duration (minutes)").fill("360")
    expect(price).to_contain_text("€540")
    page.get_by_label("Venue").fill("Rooftop bar, Kreuzberg")
    screenshot("form")
    page.get_by_role("button", name="Send request").click()

    expect(page).to_have_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    expect(page.get_by_text("Request sent to DJ Nova for €540.")).to_be_visible()
    expect(page.get_by_test_id("booking-state")).to_have_text("requested")
    page.evaluate("window.stillTheSamePage = true")
    booking = Booking.objects.get()
    assert booking.price_minor == 54000

    provider_page, provider_screenshot = second_browser
    log_in(provider_page, live_server.url, provider.email, PASSWORD)
    provider_page.goto(f"{live_server.url}/bookings/{booking.public_id}/")
    expect(provider_page.get_by_test_id("action-accept")).to_be_visible()
    offer_form = provider_page.get_by_test_id("offer-form")
    offer_form.get_by_text("Send an offer instead").click()
    offer_form.get_by_label("Price (EUR)").fill("0")
    offer_form.get_by_role("button", name="Send offer").click()
    expect(provider_page.get_by_test_id("offer-form")).to_contain_text("greater than or equal to 1")
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("requested")
    provider_page.get_by_test_id("offer-form").get_by_label("Price (EUR)").fill("620")
    provider_page.get_by_test_id("offer-form").get_by_label("Note to the client").fill(
        "Six hours with my own sound system and lights."
    )
    provider_page.get_by_test_id("offer-form").get_by_role("button", name="Send offer").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("offered")
    expect(provider_page.get_by_test_id("offer")).to_contain_text("Your offer")
    expect(provider_page.get_by_test_id("offer-price")).to_have_text("€620")
    provider_screenshot("offered")

    # The client's page, untouched, shows the offer by itself.
    expect(page.get_by_test_id("booking-state")).to_have_text("offered", timeout=12_000)
    offer = page.get_by_test_id("offer")
    expect(offer).to_contain_text("DJ Nova\u2019s offer")
    expect(page.get_by_test_id("offer-price")).to_have_text("€620")
    expect(offer).to_contain_text("instead of €540 as requested")
    expect(page.get_by_test_id("offer-length")).to_contain_text("6 h, 20:00\u201302:00")
    expect(offer).to_contain_text("Six hours with my own sound system and lights.")
    expect(page.get_by_test_id("booking-status")).to_contain_text("DJ Nova answered your request with an offer")
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot("offer")

    page.get_by_test_id("action-accept_offer").click()
    expect(page.get_by_test_id("booking-state")).to_have_text("accepted")
    expect(page.get_by_test_id("offer")).to_have_count(0)
    expect(page.get_by_text("Agreed in DJ Nova\u2019s offer")).to_be_visible()  # outside the card: out of band
    expect(page.locator("#booking-terms-head")).to_contain_text("€620")
    expect(page.locator("#booking-terms-head")).to_contain_text(", 02:00")  # the next morning
    expect(page.get_by_test_id("event").last).to_contain_text("Offer accepted")
    screenshot("accepted")
    booking.refresh_from_db()
    assert (booking.state, booking.price_minor) == ("accepted", 62000)
    assert booking.ends_at - booking.starts_at == dt.timedelta(hours=6)
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("accepted", timeout=12_000)
