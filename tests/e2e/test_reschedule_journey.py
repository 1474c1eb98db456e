"""A confirmed gig moves by agreement: the client proposes a new time from the booking page (a
bad one first, refused on the form), the provider sees both times side by side at another
computer and accepts; both pages show the new time, and the client's calendar feed has the event
at the new time with a higher SEQUENCE."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Booking
from bookings.tests.factories import make_booking
from calendars.ics import booking_uid
from calendars.services import calendar_feed_ensure
from catalog.tests.factories import make_service
from tests.e2e.helpers import in_days, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")


def _feed_event(page: Page, url: str, uid: str):
    response = page.request.get(url)
    assert response.ok
    return {str(e["UID"]): e for e in Calendar.from_ical(response.body()).walk("VEVENT")}[uid]


def test_the_client_proposes_a_new_time_and_the_provider_accepts(page: Page, live_server, screenshot, second_browser):
    provider = make_user("pete@example.com", "Pete Provider", role="provider")
    client = make_user("carla@example.com", "Carla Client")
    service = make_service(provider, duration_minutes=180)
    old = dt.datetime.combine(in_days(30), dt.time(20), tzinfo=BERLIN)
    booking = make_booking(client=client, service=service, to_state="confirmed", starts_at=old)
    feed_url = live_server.url + f"/calendar/{calendar_feed_ensure(user=client).token}.ics"
    before = _feed_event(page, feed_url, booking_uid(booking))
    new_day = in_days(37)
    new = dt.datetime.combine(new_day, dt.time(21), tzinfo=BERLIN)

    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(f"{live_server.url}/bookings/{booking.public_id}/")
    form = page.get_by_test_id("reschedule-form")
    form.get_by_text("Propose a new time").click()
    expect(form).to_contain_text("Only the time would change")
    form.get_by_label("New date").fill(old.date().isoformat())
    form.get_by_label("New start time").fill("20:00")
    form.get_by_role("button", name="Propose this time").click()
    expect(page.get_by_test_id("reschedule-form")).to_contain_text("That is the booking's time already")
    assert not Booking.objects.get().reschedule_id

    form = page.get_by_test_id("reschedule-form")
    form.get_by_label("New date").fill(new_day.isoformat())
    form.get_by_label("New start time").fill("21:00")
    form.locator("textarea").fill("The venue moved our party a week.")
    form.get_by_role("button", name="Propose this time").click()
    box = page.get_by_test_id("reschedule")
    expect(box).to_contain_text("You proposed a new time")
    expect(box).to_contain_text("Pete Provider accepts or declines it")
    expect(page.get_by_test_id("action-withdraw_reschedule")).to_be_visible()
    expect(page.get_by_test_id("action-accept_reschedule")).to_have_count(0)
    screenshot("proposed")

    provider_page, provider_screenshot = second_browser
    log_in(provider_page, live_server.url, provider.email, PASSWORD)
    provider_page.goto(f"{live_server.url}/bookings/{booking.public_id}/")
    theirs = provider_page.get_by_test_id("reschedule")
    expect(theirs).to_contain_text("Carla Client proposes a new time")
    expect(provider_page.get_by_test_id("reschedule-current")).to_contain_text(f"{old:%a} {old.day} {old:%b %Y, 20:00}")
    expect(provider_page.get_by_test_id("reschedule-proposed")).to_contain_text(
        f"{new:%a} {new.day} {new:%b %Y, 21:00}\u201300:00"
    )
    expect(theirs).to_contain_text("Only the time changes: the price (€1,500)")
    expect(theirs).to_contain_text("The venue moved our party a week.")
    provider_screenshot("proposal")
    provider_page.get_by_test_id("action-accept_reschedule").click()
    expect(provider_page.get_by_test_id("reschedule")).to_have_count(0)
    expect(provider_page.locator("#booking-terms-head")).to_contain_text(f"{new:%a} {new.day} {new:%b %Y, 21:00}")
    expect(provider_page.get_by_test_id("event").last).to_contain_text("Accepted the new time")
    expect(provider_page.get_by_test_id("booking-state")).to_have_text("confirmed")
    provider_screenshot("accepted")

    # The client's page, untouched, follows by itself.
    expect(page.get_by_test_id("reschedule")).to_have_count(0, timeout=12_000)
    expect(page.locator("#booking-terms-head")).to_contain_text(f"{new:%a} {new.day} {new:%b %Y, 21:00}")
    expect(page.locator("#booking-terms-details")).to_contain_text("21:00\u201300:00")
    screenshot("moved")

    after = _feed_event(page, feed_url, booking_uid(booking))
    assert after.decoded("DTSTART") == new.astimezone(dt.UTC)
    assert after.decoded("DTEND") == (new + dt.timedelta(hours=3)).astimezone(dt.UTC)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    booking.refresh_from_db()
    assert (booking.state, booking.starts_at, booking.price_minor) == ("confirmed", new, 150000)
