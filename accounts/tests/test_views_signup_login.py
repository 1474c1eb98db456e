"""Sign-up, log-in, log-out, password reset and email verification pages (allauth + our form)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import ProviderProfile, User
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {
    "display_name": "Dana Drummer",
    "email": "dana@example.com",
    "password1": "a-long-and-unusual-passphrase",
    "role": "provider",
}


def test_signup_page_offers_both_roles(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="client"' in html and 'value="provider"' in html
    assert 'name="display_name"' in html


def test_signup_as_provider_creates_user_profile_and_logs_in(client):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="dana@example.com")
    assert user.role == "provider"
    assert user.display_name == "Dana Drummer"
    assert ProviderProfile.objects.filter(user=user).exists()
    assert user.password.startswith("md5$")  # hashed (tests swap Argon2 for speed)
    assert client.get(reverse("accounts:profile")).status_code == 200  # signed in
    # Verification email sent, address not yet verified.
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    assert "GigSta" in mail.outbox[0].body


def test_signup_as_client_creates_no_profile(client):
    client.post(reverse("account_signup"), {**SIGNUP, "role": "client"})
    user = User.objects.get(email="dana@example.com")
    assert user.role == "client"
    assert not ProviderProfile.objects.filter(user=user).exists()


def test_signup_errors_are_shown_in_place_and_keep_what_was_typed(client):
    response = client.post(reverse("account_signup"), {**SIGNUP, "password1": "short", "role": "wizard"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"password1", "role"}
    html = response.content.decode()
    assert 'value="dana@example.com"' in html
    assert 'value="Dana Drummer"' in html
    assert not User.objects.exists()


def test_signup_with_a_taken_email_is_refused(client, client_user):
    response = client.post(reverse("account_signup"), {**SIGNUP, "email": "CARLA@example.com"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert User.objects.count() == 1


def test_signup_blank_name_is_refused(client):
    response = client.post(reverse("account_signup"), {**SIGNUP, "display_name": "   "})
    assert response.status_code == 200
    assert "display_name" in response.context["form"].errors
    assert not User.objects.exists()


def test_signup_failure_after_user_insert_leaves_no_user(client, monkeypatch):
    def explode(*, user):
        raise RuntimeError("profile storage down")

    monkeypatch.setattr("accounts.adapter.provider_profile_ensure", explode)
    client.raise_request_exception = False
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 500
    assert not User.objects.exists()


def test_login_and_logout(client, client_user):
    response = client.post(reverse("account_login"), {"login": "Carla@Example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("accounts:profile")).status_code == 200

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_login_with_wrong_password_shows_an_error(client, client_user):
    response = client.post(reverse("account_login"), {"login": "carla@example.com", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'value="carla@example.com"' in response.content.decode()


def test_failed_logins_are_rate_limited(client, client_user):
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": "carla@example.com", "password": "nope"})
        assert "Too many" not in str(response.context["form"].errors)
    response = client.post(reverse("account_login"), {"login": "carla@example.com", "password": "nope"})
    assert "Too many failed login attempts" in str(response.context["form"].errors)
    assert response.status_code == 429
    assert response["Retry-After"] == "300"  # the longest window of ACCOUNT_RATE_LIMITS["login_failed"]
    # Even the right password is refused while the limit holds.
    response = client.post(reverse("account_login"), {"login": "carla@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_password_reset_sends_a_working_link(client, client_user):
    response = client.post(reverse("account_reset_password"), {"email": "carla@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else "/" + path
    response = client.post(form_url, {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"})
    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.check_password("a-brand-new-passphrase")


def test_email_verification_link_verifies_the_address(client):
    client.post(reverse("account_signup"), SIGNUP)
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+", mail.outbox[0].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert client.get(path).status_code == 200  # confirmation page (no change on GET)
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="dana@example.com").verified is True


def test_verification_link_uses_site_url(client, settings):
    settings.SITE_URL = "https://gigsta.example.com"
    client.post(reverse("account_signup"), SIGNUP)
    assert "gigsta.example.com" in mail.outbox[0].body


def test_auth_pages_speak_like_the_rest_of_the_site(client, client_user):
    login = client.get(reverse("account_login")).content.decode()
    assert "Keep me logged in" in login and "Remember Me" not in login
    client.force_login(client_user)
    change = client.get(reverse("account_change_password")).content.decode()
    assert "Current password" in change and "New Password" not in change
