"""A client searches a date, opens a service, picks one of the provider's free start times and
sends the request; the provider sees it at that time. The provider set their working hours in the
editor, on a phone, without JavaScript."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Booking
from bookings.tests.factories import make_booking
from calendars.models import WeeklyHours
from calendars.services import availability_rules_save, weekly_hours_save
from catalog.tests.factories import make_service
from tests.e2e.helpers import in_days, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
BERLIN = ZoneInfo("Europe/Berlin")
T = dt.time


@pytest.fixture
def cast(db):
    provider = make_user("pete@example.com", "Pete Provider", role="provider")
    client = make_user("carla@example.com", "Carla Client")
    early = make_user("erin@example.com", "Erin Early")
    service = make_service(provider, title="Soul band for weddings", price_minor=150000, city="Berlin, Germany")
    weekly_hours_save(provider=provider, week={d: [(T(12), T(23))] for d in range(7)})
    availability_rules_save(
        provider=provider, buffer_before_minutes=0, buffer_after_minutes=0, min_notice_hours=0, max_gigs_per_day=2,
        timezone_name="Europe/Berlin",
    )  # fmt: skip
    day = in_days(20)
    make_booking(
        client=early, service=service, to_state="accepted", starts_at=dt.datetime.combine(day, T(18), tzinfo=BERLIN)
    )
    return client, provider, service, day


def test_client_searches_a_date_picks_a_free_slot_and_the_provider_sees_it(
    page: Page, live_server, screenshot, cast, second_browser
):
    client, provider, _, day = cast
    log_in(page, live_server.url, client.email, PASSWORD)
    page.goto(f"{live_server.url}/search")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(rf"date={day.isoformat()}"))
    page.get_by_test_id("result").get_by_role("link", name="Soul band for weddings").click()
    page.get_by_test_id("book").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Request a booking")
    expect(page.get_by_test_id("pick-date-form").get_by_label("Date")).to_have_value(day.isoformat())
    slots = page.get_by_test_id("slots")
    expect(slots).to_contain_text("Berlin, Germany time (Europe/Berlin)")
    # Three hours from noon, before the gig held from 18:00; nothing after it fits before 23:00.
    expect(slots.locator("input[name=start_time]")).to_have_count(7)
    expect(slots.get_by_text("15:30", exact=True)).to_have_count(0)
    screenshot("slots")
    # A new date brings its own free times (htmx); the searched one is back with its seven.
    when = page.get_by_test_id("pick-date-form").get_by_label("Date")
    when.fill((day + dt.timedelta(days=1)).isoformat())
    expect(page).to_have_url(re.compile(rf"date={(day + dt.timedelta(days=1)).isoformat()}"), timeout=15_000)
    expect(slots).to_contain_text((day + dt.timedelta(days=1)).strftime("%A"))
    expect(slots.locator("input[name=start_time]")).to_have_count(17)  # 12:00 to 20:00
    # htmx binds the new form's listener as the swap settles: a person is never faster than that,
    # a test may be, so wait for it before changing the date again.
    page.wait_for_function(
        "() => { const f = document.querySelector('[data-testid=pick-date-form]');"
        " return f && f['htmx-internal-data'] && !document.querySelector('.htmx-settling, .htmx-swapping'); }"
    )
    when.fill(day.isoformat())
    # each answer is pushed to the address bar: wait for this one's (a loaded machine is slow)
    expect(page).to_have_url(re.compile(rf"date={day.isoformat()}"), timeout=15_000)
    expect(slots.locator("input[name=start_time]")).to_have_count(7, timeout=15_000)
    slots.get_by_label("14:30", exact=True).check()
    page.get_by_label("Venue").fill("Villa Rosa, Potsdam")
    page.get_by_role("button", name="Send request").click()

    expect(page).to_have_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    expect(page.get_by_text("Request sent to Pete Provider")).to_be_visible()
    booking = Booking.objects.get(client=client)
    assert booking.starts_at == dt.datetime.combine(day, T(14, 30), tzinfo=BERLIN)

    provider_page, provider_screenshot = second_browser
    log_in(provider_page, live_server.url, provider.email, PASSWORD)
    provider_page.get_by_test_id("main-nav").get_by_role("link", name="My bookings").click()
    row = provider_page.get_by_test_id("booking-row").filter(has_text="Carla Client")
    expect(row).to_contain_text("14:30")
    provider_screenshot("my-bookings")


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 812}], ids=["phone"])
def test_provider_sets_hours_on_a_phone_without_javascript(browser, live_server, db, viewport, request):
    from tests.e2e.helpers import SCREENSHOTS

    provider = make_user("pete@example.com", "Pete Provider", role="provider")
    make_service(provider, title="Soul band for weddings", city="Berlin, Germany")
    context = browser.new_context(java_script_enabled=False, viewport=viewport)
    page = context.new_page()
    log_in(page, live_server.url, provider.email, PASSWORD)
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_test_id("hours-link").click()
    expect(page.get_by_test_id("no-hours")).to_contain_text("No hours set: clients may ask for any time")

    week = page.get_by_test_id("week-form")
    week.get_by_label("Monday from", exact=True).fill("18:00")
    week.get_by_label("Monday to", exact=True).fill("09:00")  # inverted
    week.get_by_role("button", name="Save weekly hours").click()
    expect(page.get_by_test_id("day-0")).to_contain_text("ends before it starts")
    assert not WeeklyHours.objects.exists()

    week.get_by_label("Monday to", exact=True).fill("23:00")
    week.get_by_label("Saturday from", exact=True).fill("20:00")
    week.get_by_label("Saturday to", exact=True).fill("00:00")
    week.get_by_role("button", name="Save weekly hours").click()
    expect(page.get_by_text("Weekly hours saved.")).to_be_visible()
    expect(page.get_by_test_id("no-hours")).to_have_count(0)
    assert list(WeeklyHours.objects.values_list("weekday", "starts", "ends")) == [(0, T(18), T(23)), (5, T(20), T(0))]
    # Nothing sticks out sideways at 375 pixels.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-editor.png"), full_page=True)
    context.close()
