import pytest
from django.urls import reverse

from accounts.models import ApiToken, ProviderProfile, User
from accounts.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:accounts_user_changelist",
        "admin:accounts_user_add",
        "admin:accounts_providerprofile_changelist",
        "admin:accounts_apitoken_changelist",
        "admin:catalog_category_changelist",
        "admin:catalog_category_add",
        "admin:catalog_service_changelist",
        "admin:catalog_busyday_changelist",
        "admin:catalog_providerphoto_changelist",
    ],
)
def test_admin_pages_load_for_staff(client, staff_user, provider, url_name):
    client.force_login(staff_user)
    response = client.get(reverse(url_name))
    assert response.status_code == 200


def test_admin_change_pages_load(client, staff_user, provider):
    client.force_login(staff_user)
    token, _ = api_token_create(user=provider, name="sync")
    for url in [
        reverse("admin:accounts_user_change", args=[provider.pk]),
        reverse("admin:accounts_providerprofile_change", args=[provider.provider_profile.pk]),
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
    ]:
        assert client.get(url).status_code == 200, url


def test_admin_is_closed_to_non_staff(client, client_user):
    client.force_login(client_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_staff_can_add_a_user_with_email_login(client, staff_user):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Added@Example.com",
            "display_name": "Added",
            "role": "provider",
            "usable_password": "true",
            "password1": "a-long-admin-passphrase",
            "password2": "a-long-admin-passphrase",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = User.objects.get(email="added@example.com")
    assert added.role == "provider"
    assert ProviderProfile.objects.filter(user=added).exists()


def test_staff_revoke_tokens_action(client, staff_user, provider):
    token, _ = api_token_create(user=provider, name="sync")
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:accounts_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_admin_index_names_each_section_once(client, staff_user):
    client.force_login(staff_user)
    sections = [app["name"] for app in client.get(reverse("admin:index")).context["app_list"]]
    assert len(sections) == len(set(sections)), sections
    assert "Users and profiles" in sections
