"""The account type: chosen by the link that led to sign-up, switchable while the account has no
bookings; developer pages kept out of the everyday menu; the home page greets new accounts as new."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ProviderProfile, Role
from accounts.services import user_switch_role
from accounts.tests.factories import make_user
from bookings.tests.factories import make_booking
from catalog.models import Listing
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("link", "checked", "heading"), [
    ("?as=provider", "provider", "Create your performer account"),
    ("?as=client", "client", "Create your account"),
    ("", "client", "Create your account"),
    ("?as=wizard", "client", "Create your account"),
])  # fmt: skip
def test_signup_preselects_the_account_type_of_the_link(client, link, checked, heading):
    html = client.get(reverse("account_signup") + link).content.decode()
    radios = re.findall(r'<input[^>]*name="role"[^>]*>', html)
    assert [radio for radio in radios if " checked" in radio] == [
        radio for radio in radios if f'value="{checked}"' in radio
    ]
    assert f"<h1>{heading}</h1>" in html or f">{heading}</h1>" in html
    assert "both sides of the stage" not in html
    # The choice comes first, above the fold on a phone.
    assert html.index('name="role"') < html.index('name="display_name"')


def test_home_page_links_each_sign_up_to_its_account_type(client):
    html = client.get(reverse("home")).content.decode()
    assert 'href="/accounts/signup/?as=client">Sign up to book' in html
    assert 'href="/accounts/signup/?as=provider">Join as a performer' in html
    assert 'href="/accounts/signup/?as=provider">Create a performer account' in html


def test_a_new_account_is_welcomed_not_welcomed_back(client):
    user = make_user("new@example.com", "Nia")
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert "Welcome to GigSta, Nia." in html and "Welcome back" not in html
    user.date_joined = timezone.now() - dt.timedelta(days=3)
    user.save(update_fields=["date_joined"])
    html = client.get(reverse("home")).content.decode()
    assert "Welcome back, Nia." in html


def test_api_tokens_live_under_developers_not_in_the_menu(client):
    client.force_login(make_user("c@example.com", "Cleo"))
    home = client.get(reverse("home")).content.decode()
    assert "API tokens" not in home
    profile = client.get(reverse("accounts:profile")).content.decode()
    developers = profile.split('data-testid="developers"')[1]
    assert reverse("accounts:tokens") in developers and "/api/docs" in developers


def test_client_without_bookings_switches_to_provider(client):
    user = make_user("c@example.com", "Cleo")
    client.force_login(user)
    assert 'data-testid="role-switch"' in client.get(reverse("accounts:profile")).content.decode()
    response = client.post(reverse("accounts:role-switch"), {"role": "provider"})
    assert response.status_code == 302 and response["Location"] == reverse("catalog:dashboard")
    user.refresh_from_db()
    assert user.role == Role.PROVIDER
    assert ProviderProfile.objects.filter(user=user).exists()


def test_provider_switching_to_client_pauses_services_and_leaves_search(client):
    provider = make_user("p@example.com", "Pia", role=Role.PROVIDER)
    service = make_service(provider)
    assert Listing.objects.filter(service_id=service.pk).exists()
    client.force_login(provider)
    response = client.post(reverse("accounts:role-switch"), {"role": "client"}, follow=True)
    assert "Your services are paused" in response.content.decode()
    provider.refresh_from_db()
    service.refresh_from_db()
    assert provider.role == Role.CLIENT and service.is_active is False
    assert not Listing.objects.filter(service_id=service.pk).exists()


def test_an_account_with_bookings_keeps_its_type(client):
    provider = make_user("p@example.com", "Pia", role=Role.PROVIDER)
    booker = make_user("c@example.com", "Cleo")
    make_booking(client=booker, service=make_service(provider))
    client.force_login(booker)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="role-switch"' not in html and "keeps its type" in html
    response = client.post(reverse("accounts:role-switch"), {"role": "provider"}, follow=True)
    assert "keep their type" in response.content.decode()
    booker.refresh_from_db()
    assert booker.role == Role.CLIENT
    with pytest.raises(Exception, match="keep their type"):
        user_switch_role(user=provider, role=Role.CLIENT)
    provider.refresh_from_db()
    assert provider.role == Role.PROVIDER


def test_role_switch_refuses_nonsense_and_needs_a_post(client):
    user = make_user("c@example.com", "Cleo")
    client.force_login(user)
    assert client.get(reverse("accounts:role-switch")).status_code == 405
    response = client.post(reverse("accounts:role-switch"), {"role": "staff"}, follow=True)
    assert "Choose client or provider." in response.content.decode()
    user.refresh_from_db()
    assert user.role == Role.CLIENT
