import pytest
from django.urls import reverse

from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user, **query):
    url = reverse("account_login") + (f"?next={query['next']}" if query else "")
    return client.post(url, {"login": user.email, "password": PASSWORD})


def test_a_provider_lands_on_the_dashboard(client, provider):
    assert login(client, provider)["Location"] == reverse("catalog:dashboard")


def test_a_client_lands_on_the_home_page(client, client_user):
    assert login(client, client_user)["Location"] == reverse("home")


def test_next_still_wins(client, provider):
    assert login(client, provider, next="/bookings/")["Location"] == "/bookings/"
