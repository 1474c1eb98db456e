"""A client books a service, the provider answers in another browser, and each sees the
other's changes on the booking page without reloading."""

import datetime as dt
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Booking
from bookings.services import booking_transition
from bookings.tests.factories import make_booking
from catalog.tests.factories import make_service
from tests.e2e.helpers import answer_next_dialog, in_days, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cast(db):
    provider = make_user("pete@example.com", "Pete Provider", role="provider")
    client = make_user("carla@example.com", "Carla Client")
    service = make_service(provider, title="Soul band for weddings", price_minor=150000, city="Berlin, Germany")
    return client, provider, service


def wait_until(condition, seconds: float = 12) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_client_books_provider_answers_and_both_pages_follow(page: Page, live_server, screenshot, cast, second_browser):
    client, provider, service = cast
    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(f"{live_server.url}/services/{service.public_id}/")
    page.get_by_test_id("book").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Request a booking")
    expect(page.get_by_test_id("booking-summary")).to_contain_text("Pete Provider")
    expect(page.get_by_text("Local time in Berlin")).to_be_visible()
    page.get_by_label("Date", exact=True).fill(in_days(20).isoformat())
    page.get_by_label("Start time").fill("19:30")
    page.get_by_label("Venue").fill("Villa Rosa, Potsdam")
    page.get_by_label("Message to the provider").fill("Our wedding, about 80 guests. First dance at 21:00.")
    screenshot("form")
    page.get_by_role("button", name="Send request").click()

    expect(page).to_have_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    expect(page.get_by_text("Request sent to Pete Provider")).to_be_visible()
    expect(page.get_by_test_id("booking-state")).to_have_text("requested")
    expect(page.get_by_test_id("event")).to_have_count(1)
    expect(page.get_by_test_id("action-withdraw")).to_have_text("Withdraw request")
    expect(page.get_by_role("heading", level=1)).to_have_text("Soul band for weddings")
    expect(page.get_by_text("19:30")).not_to_have_count(0)
    screenshot("requested")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads

    provider_page, provider_screenshot = second_browser
    log_in(provider_page, live_server.url, provider.email, PASSWORD)
    provider_page.get_by_test_id("main-nav").get_by_role("link", name="My bookings").click()
    row = provider_page.get_by_test_id("booking-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Carla Client")
    expect(row.get_by_test_id("state")).to_have_text("requested")
    provider_screenshot("my-bookings")

    row.get_by_role("link", name="Soul band for weddings").click()
    expect(provider_page.get_by_test_id("booking-message")).to_contain_text("about 80 guests")
    expect(provider_page.get_by_test_id("action-decline")).to_have_text("Decline")
    provider_screenshot("request")
    provider_page.get_by_test_id("action-accept").click()  # no confirmation: not destructive
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("accepted")
    expect(provider_page.get_by_test_id("action-accept")).to_have_count(0)
    provider_page.get_by_test_id("action-mark_paid").click()
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("confirmed")
    provider_screenshot("confirmed")

    # The client's page, untouched all along, catches up by itself.
    expect(page.get_by_test_id("booking-state")).to_have_text("confirmed", timeout=12_000)
    events = page.get_by_test_id("event")
    expect(events).to_have_count(3)
    expect(events.nth(1)).to_contain_text("Request accepted")
    expect(events.nth(1)).to_contain_text("Pete Provider")
    expect(events.nth(2)).to_contain_text("Payment received")
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot("confirmed")

    questions = answer_next_dialog(page, accept=True)
    page.get_by_test_id("action-cancel").click()
    expect(page.get_by_test_id("booking-state")).to_have_text("cancelled")
    [question] = questions  # the confirmation says what comes back under the policy
    assert question.startswith("Cancel booking? You would get back") and question.endswith("This cannot be undone.")
    expect(page.get_by_test_id("event")).to_have_count(4)
    expect(page.get_by_test_id("no-actions")).to_be_visible()
    screenshot("cancelled")

    expect(provider_page.get_by_test_id("booking-state")).to_have_text("cancelled", timeout=12_000)
    expect(provider_page.get_by_test_id("event").last).to_contain_text("Carla Client")
    assert Booking.objects.get().state == "cancelled"

    page.get_by_test_id("main-nav").get_by_role("link", name="My bookings").click()
    expect(page.get_by_test_id("no-bookings")).to_contain_text("No upcoming bookings")
    page.get_by_role("link", name="Cancelled and declined").click()
    expect(page.get_by_test_id("booking-row")).to_contain_text("Pete Provider")
    expect(page.get_by_test_id("booking-row").get_by_test_id("state")).to_have_text("cancelled")
    screenshot("my-bookings-closed")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}], ids=["phone"])
def test_dismissing_the_confirmation_changes_nothing(page: Page, live_server, screenshot, cast, viewport):
    client, _, service = cast
    starts_at = timezone.make_aware(dt.datetime.combine(in_days(30), dt.time(20)))
    booking = make_booking(client=client, service=service, to_state="accepted", starts_at=starts_at)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/actions/" in r.url else None)

    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(f"{live_server.url}/bookings/{booking.public_id}/")
    expect(page.get_by_test_id("booking-state")).to_have_text("accepted")

    # A half-written note survives the card refreshing itself.
    page.get_by_test_id("action-withdraw").locator("xpath=..").get_by_text("Add a note").click()
    note = page.get_by_label("Note for “Withdraw request”")
    note.fill("We found a band closer to home")
    page.evaluate("window.cardBefore = document.getElementById('booking-card')")
    wait_until(lambda: page.evaluate("document.getElementById('booking-card') !== window.cardBefore"))  # a poll
    expect(note).to_have_value("We found a band closer to home")
    expect(note).to_be_focused()
    screenshot("accepted")

    questions = answer_next_dialog(page, accept=False)
    page.get_by_test_id("action-withdraw").click()
    page.wait_for_timeout(500)  # time for a request to leave, if one were sent
    assert questions == ["Withdraw request? This cannot be undone."]
    assert posts == []
    expect(page.get_by_test_id("booking-state")).to_have_text("accepted")
    expect(page.get_by_test_id("event")).to_have_count(2)
    expect(page.get_by_test_id("action-withdraw")).to_be_visible()
    booking.refresh_from_db()
    assert booking.state == "accepted" and booking.events.count() == 2


def test_visitor_is_sent_to_log_in_then_told_the_slot_is_taken(page: Page, live_server, screenshot, cast):
    client, provider, service = cast
    other = make_user("olga@example.com", "Olga Other")
    taken = timezone.make_aware(dt.datetime.combine(in_days(20), dt.time(19, 30)))
    make_booking(client=other, service=service, to_state="accepted", starts_at=taken, venue="Town hall")

    page.goto(f"{live_server.url}/services/{service.public_id}/")
    page.get_by_test_id("book").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Email").fill(client.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Request a booking")
    page.get_by_label("Date", exact=True).fill(in_days(20).isoformat())
    page.get_by_label("Start time").fill("20:00")
    page.get_by_label("Venue").fill("Villa Rosa, Potsdam")
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "The provider is already booked at that time. Try another date or time."
    )
    expect(page.get_by_label("Venue")).to_have_value("Villa Rosa, Potsdam")
    screenshot("slot-taken")
    assert Booking.objects.count() == 1

    page.goto(f"{live_server.url}/services/{service.public_id}/")
    expect(page.get_by_test_id("book")).to_be_visible()
    page.get_by_test_id("main-nav").get_by_role("button", name="Log out").click()
    log_in(page, live_server.url, provider.email, PASSWORD)
    page.goto(f"{live_server.url}/services/{service.public_id}/")
    expect(page.get_by_test_id("service-price")).to_be_visible()
    expect(page.get_by_test_id("book")).to_have_count(0)


def test_an_idle_booking_page_revalidates_its_card(page: Page, live_server, cast, monkeypatch):
    """The card polls every 5 s; with nothing new, the browser's copy is revalidated (304) rather
    than the card being rendered again, and the page keeps showing it."""
    from bookings import views

    client, _, service = cast
    booking = make_booking(
        client=client, service=service, to_state="accepted", starts_at=timezone.now() + dt.timedelta(days=30)
    )
    not_modified = []
    original = views.HttpResponseNotModified
    monkeypatch.setattr(views, "HttpResponseNotModified", lambda: not_modified.append(1) or original())
    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(f"{live_server.url}/bookings/{booking.public_id}/")
    for _ in range(3):  # three polls
        page.evaluate("window.cardBefore = document.getElementById('booking-card')")
        wait_until(lambda: page.evaluate("document.getElementById('booking-card') !== window.cardBefore"))
    assert len(not_modified) >= 2  # the first poll stores the card; the next ones revalidate it
    expect(page.get_by_test_id("booking-state")).to_have_text("accepted")
    expect(page.get_by_test_id("action-withdraw")).to_be_visible()
    booking_transition(booking=booking, action="withdraw", actor=client)  # elsewhere: the page follows
    expect(page.get_by_test_id("booking-state")).to_have_text("cancelled", timeout=12_000)
