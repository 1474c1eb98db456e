"""POST /api/auth/register, POST /api/auth/token and GET /api/me, with every error case."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, ProviderProfile, Role, User
from accounts.services import api_token_create, api_token_revoke
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

GOOD = {"email": "new.person@example.com", "password": "a-long-and-unusual-passphrase", "display_name": "New Person"}


def post_json(client, name, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(reverse(f"api:{name}"), data=data, content_type="application/json", **headers)


def test_register_creates_client_and_sends_verification(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(client, "register_api", {**GOOD, "role": "client"})

    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(email="new.person@example.com")
    assert body == {"id": str(user.public_id), "email": user.email, "display_name": "New Person", "role": "client"}
    assert user.check_password(GOOD["password"])
    assert not ProviderProfile.objects.filter(user=user).exists()
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]


def test_register_provider_gets_a_profile(client):
    response = post_json(client, "register_api", {**GOOD, "role": "provider"})
    assert response.status_code == 201
    user = User.objects.get(email=GOOD["email"])
    assert user.role == Role.PROVIDER
    assert ProviderProfile.objects.filter(user=user).exists()


def test_register_normalises_email_case(client):
    response = post_json(client, "register_api", {**GOOD, "email": "  New.Person@Example.COM ", "role": "client"})
    assert response.status_code == 201
    assert response.json()["email"] == "new.person@example.com"


def test_register_taken_email_is_409_whatever_the_case(client, client_user):
    response = post_json(client, "register_api", {**GOOD, "email": "CARLA@example.com", "role": "client"})
    assert response.status_code == 409
    assert response.json() == {"detail": "An account with this email address already exists.", "code": "email_taken"}
    assert User.objects.filter(email__iexact="carla@example.com").count() == 1


def test_register_weak_password_is_422_naming_the_field_and_writes_nothing(client):
    response = post_json(client, "register_api", {**GOOD, "password": "12345", "role": "client"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert {e["field"] for e in body["errors"]} == {"password"}
    assert body["detail"].startswith("password:")
    assert not User.objects.exists()
    assert not mail.outbox


def test_register_bad_email_is_422(client):
    response = post_json(client, "register_api", {**GOOD, "email": "not-an-email", "role": "client"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["email"]
    assert not User.objects.exists()


@pytest.mark.parametrize("role", ["staff", "admin", "", "CLIENT"])
def test_register_unknown_role_is_422(client, role):
    response = post_json(client, "register_api", {**GOOD, "role": role})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["role"]
    assert not User.objects.exists()


def test_register_missing_fields_are_all_named(client):
    response = post_json(client, "register_api", {})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"email", "password", "display_name", "role"}


def test_register_blank_display_name_is_422(client):
    response = post_json(client, "register_api", {**GOOD, "display_name": "   ", "role": "client"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["display_name"]


def test_register_oversized_field_is_422(client):
    response = post_json(client, "register_api", {**GOOD, "display_name": "x" * 500, "role": "client"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "display_name"


def test_malformed_json_is_400_with_detail(client):
    response = post_json(client, "register_api", '{"email": "a@b.c",')
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON.", "code": "malformed_json"}


def test_token_for_right_credentials(client, client_user):
    response = post_json(client, "token_create_api", {"email": "Carla@Example.com", "password": PASSWORD})
    assert response.status_code == 200
    secret = response.json()["token"]
    assert secret.startswith("gst_")
    token = ApiToken.objects.get(user=client_user)
    assert secret not in (token.digest, token.prefix)  # only a digest is stored
    assert secret.startswith(token.prefix)


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "carla@example.com", "password": "wrong-password"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ],
)
def test_token_for_wrong_credentials_is_401(client, client_user, credentials):
    response = post_json(client, "token_create_api", credentials)
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong email or password.", "code": "not_authenticated"}
    assert not ApiToken.objects.exists()


def test_token_for_inactive_user_is_401(client, client_user):
    client_user.is_active = False
    client_user.save()
    response = post_json(client, "token_create_api", {"email": "carla@example.com", "password": PASSWORD})
    assert response.status_code == 401


def test_me_with_bearer_token(client, provider):
    _, secret = api_token_create(user=provider, name="test")
    response = client.get(reverse("api:me_api"), headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.json() == {
        "id": str(provider.public_id),
        "email": "pete@example.com",
        "display_name": "Pete Provider",
        "role": "provider",
    }
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "not_authenticated"),
        ("Token abc", "not_authenticated"),
        ("Basic Zm9vOmJhcg==", "not_authenticated"),
        ("Bearer", "invalid_token"),
        ("Bearer gst_not-a-real-token", "invalid_token"),
    ],
)
def test_me_without_valid_token_is_401(client, header, code):
    headers = {"Authorization": header} if header else {}
    response = client.get(reverse("api:me_api"), headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response.json()["detail"]


def test_revoked_token_is_401(client, client_user):
    token, secret = api_token_create(user=client_user, name="old")
    api_token_revoke(token=token)
    response = client.get(reverse("api:me_api"), headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_token_of_deactivated_user_is_401(client, client_user):
    _, secret = api_token_create(user=client_user, name="t")
    client_user.is_active = False
    client_user.save()
    response = client.get(reverse("api:me_api"), headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_me_with_browser_session(client, client_user):
    client.force_login(client_user)
    response = client.get(reverse("api:me_api"))
    assert response.status_code == 200
    assert response.json()["email"] == "carla@example.com"


def test_token_endpoint_is_throttled(client, client_user, settings):
    statuses = [
        post_json(client, "token_create_api", {"email": "carla@example.com", "password": "wrong"}).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    response = post_json(client, "token_create_api", {"email": "carla@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


def test_register_endpoint_is_throttled(client):
    statuses = [
        post_json(client, "register_api", {**GOOD, "email": f"p{i}@example.com", "role": "client"}).status_code
        for i in range(11)
    ]
    assert statuses.count(201) == 10
    assert statuses[-1] == 429
    assert User.objects.count() == 10


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/auth/register", "/api/auth/token", "/api/me", "/api/categories"} <= set(paths)
    assert client.get("/api/docs").status_code == 200


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404


def test_revoked_token_does_not_fall_back_to_the_browser_session(client, client_user):
    token, secret = api_token_create(user=client_user, name="old")
    api_token_revoke(token=token)
    client.force_login(client_user)
    response = client.get(reverse("api:me_api"), headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert response.json() == {"detail": "The bearer token is invalid or revoked.", "code": "invalid_token"}


def test_an_anonymous_write_is_401_not_a_csrf_403(provider):
    browser = Client(enforce_csrf_checks=True)
    body = {"title": "Sunset DJ set", "category": "dj", "price_minor": 80000, "currency": "EUR"}
    response = browser.post(reverse("api:service_create_api"), json.dumps(body), content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not provider.services.exists()


def test_a_session_write_without_its_csrf_token_is_403_and_with_it_goes_through(provider):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(provider)
    body = {
        "title": "Sunset DJ set",
        "category": "dj",
        "price_minor": 80000,
        "currency": "EUR",
        "city": "Hamburg, Germany",
        "duration_minutes": 240,
    }
    url = reverse("api:service_create_api")
    refused = browser.post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert not provider.services.exists()

    browser.get(reverse("home"))  # the page sets the CSRF cookie a browser sends back
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(url, json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.content
