"""A client looks for a performer by city and date, narrows by price and opens a profile."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from catalog.services import busy_day_block
from catalog.tests.factories import make_service
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def market(db):
    owls = make_user("owls@example.com", "The Night Owls", role="provider")
    nova = make_user("nova@example.com", "DJ Nova", role="provider")
    lens = make_user("lens@example.com", "Mira Lens", role="provider")
    far = make_user("far@example.com", "Hamburg Horns", role="provider")
    make_service(owls, title="Soul band for weddings", price_minor=250000, city="Berlin, Germany")
    make_service(nova, title="Wedding DJ", category="dj", price_minor=90000, city="Potsdam, Germany")
    make_service(lens, title="Wedding photography", category="photography", price_minor=80000, city="Berlin, Germany")
    make_service(far, title="Brass band", price_minor=70000, city="Hamburg, Germany")
    day = timezone.localdate() + dt.timedelta(days=21)
    busy_day_block(provider=lens, start=day)  # Mira is booked that day
    make_user("client@example.com", "Chris Client")
    return day


def test_client_searches_by_city_and_date_narrows_by_price_and_opens_a_profile(
    page: Page, live_server, screenshot, market
):
    log_in(page, live_server.url, "client@example.com", PASSWORD)
    page.get_by_test_id("main-nav").get_by_role("link", name="Find talent").click()
    expect(page.get_by_test_id("result-count")).to_contain_text("4 results")

    where = page.get_by_label("Where")
    where.press_sequentially("Berl", delay=40)
    expect(page.locator('#city-suggestions option[value="Berlin, Germany"]')).to_have_count(1)
    where.fill("Berlin, Germany")
    page.get_by_label("Distance").select_option("50")
    page.get_by_label("Date").fill(market.isoformat())
    page.get_by_role("button", name="Search").click()

    results = page.get_by_test_id("result")
    expect(page.locator("#results")).not_to_have_class(re.compile("htmx-request"))
    expect(page.get_by_test_id("result-count")).to_contain_text("2 results")  # Hamburg is too far, Mira is booked
    expect(results.filter(has_text="Wedding photography")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"city=Berlin"))
    screenshot("city-and-date")

    page.get_by_label("Max price").fill("1000")
    page.get_by_label("Max price").press("Tab")  # change event: htmx swaps the results, no reload
    expect(page.get_by_test_id("result-count")).to_contain_text("1 result")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Wedding DJ")
    expect(page).to_have_url(re.compile(r"max_price=1000"))
    screenshot("narrowed-by-price")

    page.go_back()  # hx-push-url kept the previous result set in history
    expect(page.get_by_test_id("result-count")).to_contain_text("2 results")
    page.go_forward()
    expect(page.get_by_test_id("result-count")).to_contain_text("1 result")

    results.first.get_by_role("link", name="DJ Nova").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("DJ Nova")
    expect(page.get_by_test_id("calendar")).to_be_visible()
    expect(page.get_by_test_id("provider-service")).to_contain_text("Wedding DJ")
    expect(page.get_by_test_id("nav-user")).to_have_text("Chris Client")
    screenshot("profile")


def test_search_works_without_javascript(browser, live_server, market, screenshot):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/search")
    page.get_by_label("What").fill("wedding")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"q=wedding"))
    expect(page.get_by_test_id("result-count")).to_contain_text("3 results")
    page.get_by_label("Where").fill("Atlantis-on-Sea")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("search-errors")).to_contain_text("We don't know this place")
    context.close()
