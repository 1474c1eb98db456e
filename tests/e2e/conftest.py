"""Browser journeys: real Chromium (Debian's package) driven by Playwright against live_server.

No browser is downloaded: Playwright launches the system Chromium by path ($CHROMIUM,
default /usr/bin/chromium). Screenshots go to test-results/screenshots/ (git-ignored).
"""

import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps

from tests.e2e.axe import axe_load, axe_pages, axe_report
from tests.e2e.helpers import SCREENSHOTS, open_page

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(autouse=True)
def default_categories(transactional_db):
    """Browser tests run in real transactions, and the database is flushed after each one,
    which also empties tables a data migration filled. Put the categories back."""
    migration = importlib.import_module("catalog.migrations.0002_default_categories")
    migration.add_categories(apps, None)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail(f"Chromium not found at {executable}: install it (apt-get install chromium) or set CHROMIUM.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=[{"width": 1280, "height": 900}], ids=["laptop"])
def viewport(request):
    return request.param


@pytest.fixture
def page(browser, viewport, live_server, default_categories):
    """The journey's browser page. Afterwards every page of ours it went to is opened again,
    as the journey left things, and checked with axe-core: no serious or critical violation."""
    context, page, errors = open_page(browser, viewport)
    axe_load(context)
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
    yield page
    journey_errors = list(errors)  # opening pages again afterwards may meet what the journey closed
    failing = axe_pages(page, visited, live_server.url)
    context.close()
    assert not journey_errors, f"Errors in the browser console: {journey_errors}"
    assert not failing, "\n".join(f"{url}:\n{axe_report(found)}" for url, found in failing.items())


@pytest.fixture
def second_browser(browser, request):
    """A second person at another computer: its own context, cookies and console; yields its page
    and a screenshot function."""
    context, page, errors = open_page(browser, {"width": 1280, "height": 900})

    def screenshot(name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-second-{name}.png"), full_page=True)

    yield page, screenshot
    context.close()
    assert not errors, f"Errors in the second browser's console: {errors}"


@pytest.fixture
def screenshot(page, request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png".replace("/", "_")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
