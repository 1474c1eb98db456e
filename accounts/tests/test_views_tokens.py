import uuid

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import api_token_authenticate, api_token_create

pytestmark = pytest.mark.django_db


def test_token_page_needs_login(client):
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_empty_token_page_explains_tokens(client, client_user):
    client.force_login(client_user)
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code == 200
    assert "/api/docs" in response.content.decode()
    assert list(response.context["tokens"]) == []


def test_create_token_shows_the_secret_once(client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("accounts:tokens"), {"name": "Website sync"})
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret and secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert api_token_authenticate(secret=secret) == client_user
    # Reloading the page never shows it again.
    assert secret not in client.get(reverse("accounts:tokens")).content.decode()


def test_create_token_without_a_name_shows_the_error(client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("accounts:tokens"), {"name": ""})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_token_list_shows_only_my_tokens(client, client_user, stranger, django_assert_num_queries):
    api_token_create(user=client_user, name="mine-1")
    api_token_create(user=client_user, name="mine-2")
    api_token_create(user=stranger, name="theirs")
    client.force_login(client_user)
    response = client.get(reverse("accounts:tokens"))
    names = [t.name for t in response.context["tokens"]]
    assert sorted(names) == ["mine-1", "mine-2"]
    assert "theirs" not in response.content.decode()


def test_token_page_query_count_does_not_grow_with_tokens(client, client_user, django_assert_num_queries, settings):
    client.force_login(client_user)
    api_token_create(user=client_user, name="one")
    # user + tokens + the nav's unread count, plus the session row unless sessions live in the cache (Redis).
    expected = 3 + (settings.SESSION_ENGINE == "django.contrib.sessions.backends.db")
    with django_assert_num_queries(expected):
        client.get(reverse("accounts:tokens"))
    for i in range(10):
        api_token_create(user=client_user, name=f"more-{i}")
    with django_assert_num_queries(expected):
        client.get(reverse("accounts:tokens"))


def test_revoke_my_token(client, client_user):
    token, secret = api_token_create(user=client_user, name="old")
    client.force_login(client_user)
    response = client.post(reverse("accounts:token-revoke", args=[token.public_id]))
    assert response.status_code == 302
    assert api_token_authenticate(secret=secret) is None
    page = client.get(reverse("accounts:tokens")).content.decode()
    assert "revoked" in page.lower()


def test_cannot_revoke_someone_elses_token(client, client_user, stranger):
    token, secret = api_token_create(user=stranger, name="theirs")
    client.force_login(client_user)
    response = client.post(reverse("accounts:token-revoke", args=[token.public_id]))
    assert response.status_code == 404
    assert api_token_authenticate(secret=secret) == stranger


def test_revoke_unknown_token_is_404(client, client_user):
    client.force_login(client_user)
    assert client.post(reverse("accounts:token-revoke", args=[uuid.uuid4()])).status_code == 404


def test_revoke_needs_post(client, client_user):
    token, _ = api_token_create(user=client_user, name="t")
    client.force_login(client_user)
    assert client.get(reverse("accounts:token-revoke", args=[token.public_id])).status_code == 405


def test_revoke_with_htmx_returns_only_the_token_list(client, client_user):
    token, secret = api_token_create(user=client_user, name="widget")
    client.force_login(client_user)
    response = client.post(reverse("accounts:token-revoke", args=[token.public_id]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card card--padded" id="token-list"')
    assert "<html" not in html
    assert "Token “widget” is revoked" in html
    assert api_token_authenticate(secret=secret) is None
    # No leftover flash message for the next full page.
    assert "is revoked" not in client.get(reverse("accounts:tokens")).content.decode().split('id="token-list"')[0]
