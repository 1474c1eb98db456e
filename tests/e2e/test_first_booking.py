"""The first booking of a new client, measured: from the home page to a request sent in at most
6 clicks and 8 typed fields, on a phone and on a laptop, with no serious or critical axe-core
violation on any page on the way and no error in the browser console."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.tests.factories import PASSWORD, make_user
from bookings.models import Booking
from catalog.tests.factories import make_service
from tests.e2e.axe import axe_load, axe_report, axe_violations
from tests.e2e.helpers import SCREENSHOTS, in_days, log_in, open_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_CLICKS = 6
MAX_TYPED = 8
PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1280, "height": 900}


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


class Visitor:
    """A person at the page: counts what they click and type, checks each page they reach."""

    def __init__(self, page: Page, name: str):
        self.page, self.name = page, name
        self.clicks = self.typed = 0
        self.pages: dict[str, list[dict]] = {}
        self.too_wide: dict[str, int] = {}

    def click(self, locator) -> None:
        locator.click()
        self.clicks += 1

    def type(self, locator, text: str) -> None:
        locator.fill(text)
        self.typed += 1

    def arrived(self, step: str) -> None:
        """A new page: axe checks it and a screenshot records it."""
        self.page.wait_for_load_state("networkidle")
        self.pages[f"{step} {self.page.url}"] = axe_violations(self.page)
        self.too_wide[step] = overflow(self.page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"first-booking-{self.name}-{step}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_a_new_client_books_in_six_clicks(browser, live_server, viewport):
    provider = make_user("nova@example.com", "DJ Nova", role="provider")
    make_service(provider, title="Soul band for weddings", price_minor=150000, city="Berlin, Germany")
    context, page, errors = open_page(browser, viewport)
    axe_load(context)
    me = Visitor(page, "phone" if viewport is PHONE else "laptop")
    try:
        page.goto(live_server.url + "/")
        me.arrived("1-home")
        me.type(page.get_by_test_id("hero-search").get_by_label("What"), "soul band")
        me.click(page.get_by_test_id("hero-search").get_by_role("button", name="Search"))
        me.arrived("2-search")
        me.click(page.get_by_role("link", name="Soul band for weddings").first)
        me.arrived("3-service")
        me.click(page.get_by_test_id("book"))
        me.arrived("4-log-in")
        me.click(page.locator("#main").get_by_role("link", name="Sign up"))
        me.arrived("5-sign-up")
        me.type(page.get_by_label("Your name"), "Carla Client")
        me.type(page.get_by_label("Email"), "carla@example.com")
        me.type(page.get_by_label("Password"), "a-long-and-unusual-passphrase")
        me.click(page.get_by_role("button", name="Create account"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Request a booking")
        me.arrived("6-booking-form")
        me.type(page.get_by_label("Date"), in_days(30).isoformat())
        me.type(page.get_by_label("Start time"), "19:00")
        me.type(page.get_by_label("Venue"), "Villa Rosa, Potsdam")
        me.click(page.get_by_role("button", name="Send request"))
        expect(page.get_by_test_id("booking-state")).to_have_text("requested")
        me.arrived("7-booking")
    finally:
        context.close()

    booking = Booking.objects.get()
    assert booking.client == User.objects.get(email="carla@example.com") and booking.client.is_client
    assert me.clicks <= MAX_CLICKS, f"{me.clicks} clicks"
    assert me.typed <= MAX_TYPED, f"{me.typed} typed fields"
    failing = {where: found for where, found in me.pages.items() if found}
    assert not failing, "\n".join(f"{where}:\n{axe_report(found)}" for where, found in failing.items())
    assert len(me.pages) == 7
    assert not any(me.too_wide.values()), f"Wider than the window: {me.too_wide}"
    assert not errors, f"Errors in the browser console: {errors}"


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_provider_pages_fit_the_window_and_pass_axe(browser, live_server, viewport):
    provider = make_user("nova@example.com", "DJ Nova Extraordinaire of the Night", role="provider")
    make_service(provider, title="Soul band for weddings, receptions and long summer garden parties")
    context, page, errors = open_page(browser, viewport)
    axe_load(context)
    try:
        page.goto(f"{live_server.url}/providers/{provider.public_id}/")
        page.wait_for_load_state("networkidle")
        found, wider = axe_violations(page), overflow(page)
        menu = page.get_by_test_id("main-nav").locator("xpath=..").locator("summary")
        if viewport is PHONE:
            box = menu.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
        page.screenshot(path=str(SCREENSHOTS / f"provider-page-{viewport['width']}.png"), full_page=True)
    finally:
        context.close()
    assert wider == 0, f"{wider} px wider than the window"
    assert not found, axe_report(found)
    assert not errors


def test_the_accessibility_check_finds_what_it_should(browser):
    """The checker itself: a page with an unlabelled image and an unlabelled field fails it."""
    context, page, _ = open_page(browser, LAPTOP)
    axe_load(context)
    try:
        page.goto("about:blank")
        page.set_content('<html lang="en"><title>t</title><main><img src="x.png"><input type="text"></main></html>')
        found = {v["id"] for v in axe_violations(page)}
    finally:
        context.close()
    assert {"image-alt", "label"} <= found


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_a_providers_pages_fit_a_phone_with_the_menu_inside_the_window(browser, live_server, viewport):
    provider = make_user("nova@example.com", "DJ Nova Extraordinaire of the Night", role="provider")
    make_service(provider, title="Soul band for weddings, receptions and long summer garden parties")
    context, page, errors = open_page(browser, viewport)
    wider: dict[str, int] = {}
    try:
        log_in(page, live_server.url, provider.email, PASSWORD)
        for path in ("/dashboard/", "/bookings/", "/accounts/profile/", "/dashboard/hours/", "/payments/earnings/"):
            page.goto(live_server.url + path)
            wider[path] = overflow(page)
            box = page.locator("summary.nav-menu__toggle").bounding_box()
            assert box and box["x"] + box["width"] <= viewport["width"], (path, box)
        page.screenshot(path=str(SCREENSHOTS / "provider-dashboard-375.png"), full_page=True)
    finally:
        context.close()
    assert not any(wider.values()), wider
    assert not errors
