import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_profile_needs_login(client):
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_client_profile_has_no_provider_fields(client, client_user):
    client.force_login(client_user)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"display_name", "phone"}


def test_provider_edits_profile(client, provider):
    client.force_login(provider)
    fields = client.get(reverse("accounts:profile")).context["form"].fields
    assert set(fields) == {"display_name", "phone", "city", "bio", "payment_instructions"}
    response = client.post(
        reverse("accounts:profile"),
        {
            "display_name": "Pete's Party Band",
            "city": "cologne",
            "bio": "Covers.",
            "payment_instructions": " IBAN DE89 3704 0044 0532 0130 00 ",
        },
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.display_name == "Pete's Party Band"
    assert provider.provider_profile.city == "Köln, Germany"  # found by its English name
    assert provider.provider_profile.payment_instructions == "IBAN DE89 3704 0044 0532 0130 00"


def test_profile_errors_keep_input(client, provider):
    client.force_login(provider)
    response = client.post(reverse("accounts:profile"), {"display_name": " ", "city": "Bonn", "bio": "x" * 5000})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"display_name", "bio"}
    assert 'value="Bonn"' in response.content.decode()
    provider.refresh_from_db()
    assert provider.display_name == "Pete Provider"


def test_unknown_base_city_is_refused(client, provider):
    client.force_login(provider)
    response = client.post(reverse("accounts:profile"), {"display_name": "Pete", "city": "Nowhere-on-Sea", "bio": ""})
    assert response.status_code == 200
    assert "city" in response.context["form"].errors
    provider.refresh_from_db()
    assert provider.provider_profile.city == ""
