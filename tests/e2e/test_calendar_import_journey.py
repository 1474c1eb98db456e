"""A provider imports their own calendar on a phone: the page shows what was read, then what is
wrong with the feed, and removing it frees the time again."""

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.tests.factories import at
from calendars.tests.feed_server import FeedServer
from calendars.tests.helpers import all_day, ics_of, timed
from catalog.tests.factories import make_service
from gigsta.tests.helpers import tasks_run
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def feeds(settings):
    settings.CALENDAR_IMPORT_ALLOW_PRIVATE = True  # the calendar server is on loopback
    with FeedServer() as server:
        server.bodies["/me.ics"] = ics_of(
            timed("studio@example.com", at(4, 10), at(4, 13)), all_day("tour@example.com", at(9).date(), days=3)
        )
        yield server


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}], ids=["phone"], indirect=True)
def test_provider_imports_their_calendar_sees_a_broken_feed_and_removes_it(page: Page, live_server, screenshot, feeds):
    provider = make_user("owls@example.com", "The Night Owls", role="provider")
    make_service(provider, title="Soul band for weddings")
    log_in(page, live_server.url, "owls@example.com", PASSWORD)
    page.goto(live_server.url + "/dashboard/")
    page.get_by_role("link", name="Import its busy times").click()
    expect(page.get_by_role("heading", name="Busy times from your own calendar")).to_be_visible()

    page.get_by_label("Your calendar's address (.ics)").fill("ftp://files.example.com/me.ics")
    page.get_by_role("button", name="Save and read it").click()
    expect(page.get_by_text("Use an http:// or https:// address.")).to_be_visible()

    page.get_by_label("Your calendar's address (.ics)").fill(feeds.url("/me.ics"))
    page.get_by_role("button", name="Save and read it").click()
    expect(page.get_by_test_id("import-waiting")).to_be_visible()
    tasks_run()  # the worker reads the calendar
    page.reload()
    expect(page.get_by_test_id("event-count")).to_have_text("2 in the next 180 days")
    expect(page.get_by_test_id("busy-time")).to_have_count(2)
    expect(page.get_by_test_id("busy-time").first).to_contain_text("10:00 to 13:00")
    expect(page.get_by_test_id("busy-time").nth(1)).to_contain_text("all day")
    screenshot("read")
    # nothing on the page is wider than the phone (the site's header is the layout's own)
    too_wide = "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > innerWidth)"
    assert page.evaluate(too_wide + ".length") == 0
    screenshot("read")

    feeds.routes["/me.ics"] = "/html"  # the calendar's sharing was switched off: a sign-in page
    page.get_by_role("button", name="Save and read again").click()
    tasks_run()
    page.reload()
    expect(page.get_by_test_id("import-error")).to_contain_text("This is not an iCalendar file.")
    expect(page.get_by_test_id("busy-time")).to_have_count(2)  # the last good read stays
    screenshot("broken")

    page.get_by_role("button", name="Remove the calendar").click()
    expect(page.get_by_role("heading", name="Add your calendar")).to_be_visible()
    expect(page.get_by_test_id("busy-time")).to_have_count(0)
