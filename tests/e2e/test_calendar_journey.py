"""Issue's whole calendar journey in one: a client searches a date and picks one of the provider's
free start times, where the provider's own imported calendar takes away others; the gig is then
moved by agreement, and the client's calendar feed shows it at the new time."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Booking
from bookings.services import booking_transition
from calendars.ics import booking_uid
from calendars.models import ImportedBusy
from calendars.services import availability_rules_save, busy_import_save, calendar_feed_ensure, weekly_hours_save
from calendars.tests.feed_server import FeedServer
from calendars.tests.helpers import ics_of, timed
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from tests.e2e.helpers import in_days, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")
T = dt.time


def _feed_event(page: Page, url: str, uid: str):
    response = page.request.get(url)
    assert response.ok
    return {str(e["UID"]): e for e in Calendar.from_ical(response.body()).walk("VEVENT")}[uid]


def test_search_a_date_pick_a_slot_own_calendar_blocks_reschedule_and_the_feed_follows(
    page: Page, live_server, screenshot, second_browser, settings
):
    settings.CALENDAR_IMPORT_ALLOW_PRIVATE = True  # the provider's calendar is served on loopback
    provider = make_user("pete@example.com", "Pete Provider", role="provider")
    client = make_user("carla@example.com", "Carla Client")
    make_service(provider, title="Soul band for weddings", duration_minutes=180, city="Berlin, Germany")
    weekly_hours_save(provider=provider, week={d: [(T(12), T(23))] for d in range(7)})
    availability_rules_save(
        provider=provider, buffer_before_minutes=0, buffer_after_minutes=0, min_notice_hours=0, max_gigs_per_day=None,
        timezone_name="Europe/Berlin",
    )  # fmt: skip
    day = in_days(20)
    # The provider's own calendar: a rehearsal from 17:00 to 19:00 that day.
    rehearsal = (dt.datetime.combine(day, T(17), tzinfo=BERLIN), dt.datetime.combine(day, T(19), tzinfo=BERLIN))
    with FeedServer() as feeds:
        feeds.bodies["/pete.ics"] = ics_of(timed("rehearsal@example.com", *rehearsal))
        busy_import_save(provider=provider, url=feeds.url("/pete.ics"))
        tasks_run()  # the worker reads the calendar
    assert list(ImportedBusy.objects.values_list("starts_at", "ends_at")) == [rehearsal]

    # The client searches that date and picks a free time; the rehearsal took 14:30 to 18:30 away.
    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(f"{live_server.url}/search")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(rf"date={day.isoformat()}"))
    page.get_by_test_id("result").get_by_role("link", name="Soul band for weddings").click()
    page.get_by_test_id("book").click()
    slots = page.get_by_test_id("slots")
    expect(slots.get_by_label("12:00", exact=True)).to_be_visible()
    expect(slots.get_by_label("14:00", exact=True)).to_be_visible()  # ends at 17:00, as the rehearsal starts
    for taken in ("14:30", "16:00", "18:30"):
        expect(slots.get_by_label(taken, exact=True)).to_have_count(0)
    expect(slots.get_by_label("19:00", exact=True)).to_be_visible()
    screenshot("slots-around-own-calendar")
    slots.get_by_label("12:00", exact=True).check()
    page.get_by_label("Venue").fill("Villa Rosa, Potsdam")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_test_id("booking-state")).to_have_text("requested")
    booking = Booking.objects.get()
    assert booking.starts_at == dt.datetime.combine(day, T(12), tzinfo=BERLIN)
    booking_transition(booking=booking, action="accept", actor=provider)

    # The client moves the gig to the evening of the next day; the provider accepts elsewhere.
    feed_url = live_server.url + f"/calendar/{calendar_feed_ensure(user=client).token}.ics"
    before = _feed_event(page, feed_url, booking_uid(booking))
    new = dt.datetime.combine(day + dt.timedelta(days=1), T(19), tzinfo=BERLIN)
    page.reload()
    form = page.get_by_test_id("reschedule-form")
    form.get_by_text("Propose a new time").click()
    form.get_by_label("New date").fill(new.date().isoformat())
    form.get_by_label("New start time").fill("19:00")
    form.get_by_role("button", name="Propose this time").click()
    expect(page.get_by_test_id("reschedule")).to_contain_text("You proposed a new time")

    provider_page, provider_screenshot = second_browser
    log_in(provider_page, live_server.url, provider.email, PASSWORD)
    provider_page.goto(f"{live_server.url}/bookings/{booking.public_id}/")
    provider_page.get_by_test_id("action-accept_reschedule").click()
    expect(provider_page.locator("#booking-terms-head")).to_contain_text(f"{new:%a} {new.day} {new:%b %Y, 19:00}")
    provider_screenshot("moved")

    after = _feed_event(page, feed_url, booking_uid(booking))
    assert after.decoded("DTSTART") == new.astimezone(dt.UTC)
    assert after.decoded("DTEND") == (new + dt.timedelta(hours=3)).astimezone(dt.UTC)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
