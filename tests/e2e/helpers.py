"""What browser journeys share besides fixtures: where screenshots go, opening a page that
collects its console errors, answering confirm() dialogs, logging in."""

import datetime as dt
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def benign(text: str) -> bool:
    """A console error that is not a failure."""
    # htmx reports a request it cancelled itself (hx-sync="this:replace" while typing) as an error.
    return text.startswith(("htmx:sendAbort", "htmx:afterRequest"))


def open_page(browser, viewport: dict):
    """A fresh browser context and page, and the list its console errors collect in.
    Content-Security-Policy violations and failed loads are reported as console errors."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and not benign(msg.text) else None)
    return context, page, errors


def answer_next_dialog(page, *, accept: bool) -> list[str]:
    """Answer the next confirm() the page shows; the returned list receives its question."""
    questions: list[str] = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", answer)
    return questions


def log_in(page: Page, base_url: str, email: str, password: str, *, succeeds: bool = True) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    if succeeds:
        expect(page.get_by_test_id("nav-user")).to_be_attached()


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def hourly_dj(provider):
    """A DJ booked by the hour: €90 an hour, at least two hours."""
    from catalog.tests.factories import make_service

    return make_service(
        provider,
        title="Party DJ by the hour",
        category="dj",
        pricing="hourly",
        price_minor=None,
        hourly_rate_minor=9000,
        min_duration_minutes=120,
    )
