"""Photos where people look: a cover in a phone's search results, a gallery without JavaScript,
a provider adding and arranging photos."""

import re
import time

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, make_user
from catalog.photos import service_photo_set_alt
from catalog.tests.factories import add_photos, make_service
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ROOT_URLCONF = "tests.e2e.media_urls"


@pytest.fixture
def band(db):
    owls = make_user("owls@example.com", "The Night Owls", role="provider")
    service = make_service(owls, title="Soul band for weddings, parties and every long night in between")
    photos = add_photos(service, 3, size=(2400, 900))  # wider than any phone, and then some
    for n, photo in enumerate(photos, start=1):
        service_photo_set_alt(photo=photo, actor=owls, alt=f"The Night Owls, picture {n}")
    make_service(owls, title="Duo for dinners", category="live-music")  # no photo: the placeholder
    return service


def no_horizontal_overflow(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_a_search_card_with_a_cover_fits_a_phone(page: Page, live_server, screenshot, band, viewport):
    page.goto(live_server.url + "/search")
    cover = page.get_by_test_id("cover")
    expect(cover).to_have_count(1)
    expect(page.get_by_test_id("no-cover")).to_have_count(1)
    cover.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('[data-testid=cover]').complete")
    assert page.evaluate("document.querySelector('[data-testid=cover]').naturalWidth") > 0
    box = cover.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert no_horizontal_overflow(page)
    screenshot("phone-search")


@pytest.mark.parametrize("viewport_size", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_the_gallery_works_without_javascript(browser, live_server, band, viewport_size):
    context = browser.new_context(viewport=viewport_size, java_script_enabled=False)
    page = context.new_page()
    errors = []  # failed loads (a missing photo) are console errors
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(f"{live_server.url}/services/{band.public_id}/")
        page.get_by_test_id("service-cover").click()
        expect(page).to_have_url(re.compile(rf"/services/{band.public_id}/photos/$"))
        page.get_by_role("link", name="The Night Owls, picture 1").click()
        expect(page.get_by_test_id("position")).to_have_text("Photo 1 of 3")
        expect(page.get_by_test_id("photo")).to_have_attribute("alt", "The Night Owls, picture 1")
        page.get_by_test_id("next").click()
        expect(page.get_by_test_id("position")).to_have_text("Photo 2 of 3")
        page.get_by_test_id("next").click()
        expect(page.get_by_test_id("next")).to_have_count(0)
        page.get_by_test_id("previous").click()
        expect(page.get_by_test_id("position")).to_have_text("Photo 2 of 3")
        photo = page.get_by_test_id("photo")
        # With JavaScript off the page runs no animation frames, so wait_for_function's polling
        # would never run again: ask from here until the photo has loaded.
        deadline = time.monotonic() + 15
        while not page.evaluate("document.querySelector('[data-testid=photo]').complete"):
            assert time.monotonic() < deadline, "the photo did not load"
            time.sleep(0.1)
        assert photo.bounding_box()["width"] <= viewport_size["width"]
        assert no_horizontal_overflow(page)
        page.get_by_test_id("back").click()
        expect(page).to_have_url(f"{live_server.url}/services/{band.public_id}/")
        assert not errors
    finally:
        context.close()


def test_a_provider_adds_photos_and_picks_the_cover(page: Page, live_server, screenshot, tmp_path):
    owls = make_user("owls@example.com", "The Night Owls", role="provider")
    service = make_service(owls, title="Soul band")
    files = []
    for n, colour in enumerate(((200, 40, 40), (40, 40, 200))):
        path = tmp_path / f"stage-{n}.jpg"
        Image.new("RGB", (1200, 800), colour).save(path, format="JPEG")
        files.append(str(path))
    log_in(page, live_server.url, "owls@example.com", PASSWORD)
    page.goto(f"{live_server.url}/dashboard/services/{service.public_id}/edit/")
    page.get_by_test_id("service-photo-form").get_by_label("Photos").set_input_files(files)
    page.get_by_role("button", name="Add photos").click()
    expect(page.get_by_test_id("service-photo")).to_have_count(2)
    expect(page.get_by_test_id("photo-count")).to_contain_text("2 of 12")
    second = page.get_by_test_id("service-photo").nth(1)
    second.get_by_label("Description").fill("Horns at dusk")
    second.get_by_role("button", name="Save description").click()
    page.get_by_test_id("service-photo").nth(1).get_by_role("button", name="Make cover").click()
    expect(page.get_by_test_id("service-photo").nth(1).get_by_test_id("cover-badge")).to_be_visible()
    page.get_by_test_id("service-photo").nth(1).get_by_role("button", name="Move up").click()
    expect(page.get_by_test_id("service-photo").first.get_by_test_id("cover-badge")).to_be_visible()
    screenshot("photo-manager")

    page.goto(live_server.url + "/search")
    expect(page.get_by_test_id("cover")).to_have_attribute("alt", "Horns at dusk")
