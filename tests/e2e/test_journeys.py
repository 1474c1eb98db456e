"""Journeys a person takes through GigSta, in real Chromium."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import ProviderProfile, User
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-and-unusual-passphrase"


def nav(page: Page):
    return page.get_by_test_id("main-nav")


def sign_up(page: Page, base_url: str, *, name: str, email: str, role_label: str) -> None:
    page.goto(base_url + "/")
    nav(page).get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label(role_label).check()
    page.get_by_role("button", name="Create account").click()


def test_visitor_signs_up_as_client_logs_out_and_logs_in(page: Page, live_server, screenshot):
    sign_up(
        page,
        live_server.url,
        name="Chloe Client",
        email="chloe@example.com",
        role_label="Book performers and services for my event",
    )
    expect(page.get_by_test_id("nav-user")).to_have_text("Chloe Client")
    expect(page.get_by_test_id("nav-role")).to_have_text("Client")
    expect(nav(page).get_by_role("link", name="Provider profile")).to_have_count(0)
    screenshot("signed-up")
    assert User.objects.get(email="chloe@example.com").role == "client"

    nav(page).get_by_role("button", name="Log out").click()
    expect(nav(page).get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_test_id("nav-user")).to_have_count(0)

    nav(page).get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    log_in(page, live_server.url, "chloe@example.com", PASSWORD)
    expect(page.get_by_test_id("nav-user")).to_have_text("Chloe Client")
    screenshot("logged-in")


def test_wrong_password_shows_an_error_and_keeps_the_email(page: Page, live_server, screenshot):
    User.objects.create_user(email="kim@example.com", password=PASSWORD, display_name="Kim")
    log_in(page, live_server.url, "kim@example.com", "not-the-password", succeeds=False)
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("kim@example.com")
    screenshot("login-error")


def test_provider_signs_up_sees_provider_navigation_and_edits_profile(page: Page, live_server, screenshot):
    sign_up(
        page,
        live_server.url,
        name="DJ Pulse",
        email="pulse@example.com",
        role_label="Offer my services as a performer or provider",
    )
    expect(page.get_by_test_id("nav-role")).to_have_text("Provider")
    provider_link = nav(page).get_by_role("link", name="Provider profile")
    expect(provider_link).to_be_visible()
    screenshot("provider-home")

    provider_link.click()
    expect(page.get_by_role("heading", name="Your provider profile")).to_be_visible()
    page.get_by_label("Base city").fill("Leipzig")
    page.get_by_label("About you").fill("Techno and house, own gear.")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    screenshot("provider-profile")

    profile = ProviderProfile.objects.get(user__email="pulse@example.com")
    assert profile.city == "Leipzig, Germany"


def test_api_token_created_used_and_revoked_with_htmx(page: Page, live_server, screenshot):
    User.objects.create_user(email="dev@example.com", password=PASSWORD, display_name="Dev Partner")
    log_in(page, live_server.url, "dev@example.com", PASSWORD)

    # Developer pages sit under "Developers" on the profile, not in everyone's menu.
    expect(nav(page).get_by_role("link", name="API tokens")).to_have_count(0)
    nav(page).get_by_role("link", name="Profile").click()
    page.get_by_test_id("developers").get_by_role("link", name="API tokens and webhooks").click()
    expect(page.get_by_text("No tokens yet")).to_be_visible()
    page.get_by_label("Token name").fill("Calendar sync")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token-value").input_value()
    assert secret.startswith("gst_")
    screenshot("token-created")

    me = page.request.get(live_server.url + "/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200 and me.json()["display_name"] == "Dev Partner"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke Calendar sync").click()
    expect(page.get_by_test_id("token-revoked")).to_be_visible()
    expect(page.get_by_role("button", name="Revoke Calendar sync")).to_have_count(0)
    # The secret box is still on screen: the swap replaced only the list, without a reload.
    expect(page.get_by_test_id("new-token")).to_be_visible()
    screenshot("token-revoked")

    me = page.request.get(live_server.url + "/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 401


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}], ids=["phone"])
def test_phone_menu_opens_and_logs_out(page: Page, live_server, screenshot, viewport):
    User.objects.create_user(email="pat@example.com", password=PASSWORD, display_name="Pat Phone")
    log_in(page, live_server.url, "pat@example.com", PASSWORD)

    log_out = nav(page).get_by_role("button", name="Log out")
    expect(log_out).to_be_hidden()
    page.locator("summary", has_text="Menu").click()
    expect(log_out).to_be_visible()
    screenshot("menu-open")
    log_out.click()
    expect(page.get_by_test_id("nav-user")).to_have_count(0)
