from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import IntegrityError
from django.test import RequestFactory

from accounts.models import ApiToken, ProviderProfile, User
from accounts.services import (
    EmailTaken,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    user_create,
    user_update_profile,
)

pytestmark = pytest.mark.django_db


def request():
    return RequestFactory().post("/api/auth/register")


def test_user_create_writes_user_profile_and_address_together(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(
            email="Band@Example.com",
            password="a-long-good-passphrase",
            display_name="The Band",
            role="provider",
            request=request(),
        )
    assert user.email == "band@example.com"
    assert ProviderProfile.objects.filter(user=user).count() == 1
    assert EmailAddress.objects.filter(user=user, email="band@example.com", primary=True).count() == 1
    assert len(mail.outbox) == 1
    assert "confirm" in mail.outbox[0].body.lower()


def test_user_create_failure_leaves_nothing_and_sends_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        mock.patch("accounts.services.EmailAddress.objects.create", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        user_create(
            email="band@example.com",
            password="a-long-good-passphrase",
            display_name="The Band",
            role="provider",
            request=request(),
        )
    assert not User.objects.exists()
    assert not ProviderProfile.objects.exists()
    assert callbacks == []
    assert not mail.outbox


def test_user_create_race_on_email_is_email_taken():
    with (
        mock.patch("accounts.services.User.objects.create_user", side_effect=IntegrityError("duplicate")),
        pytest.raises(EmailTaken),
    ):
        user_create(
            email="x@example.com", password="a-long-good-passphrase", display_name="X", role="client", request=request()
        )


def test_user_update_profile_for_provider(provider):
    user_update_profile(user=provider, display_name="  Pete & The Pipes ", bio="Brass band.", city="Leipzig")
    provider.refresh_from_db()
    assert provider.display_name == "Pete & The Pipes"
    assert provider.provider_profile.city == "Leipzig"
    assert provider.provider_profile.bio == "Brass band."


def test_user_update_profile_for_client_creates_no_profile(client_user):
    user_update_profile(user=client_user, display_name="Carla C.")
    assert not ProviderProfile.objects.filter(user=client_user).exists()


def test_api_token_round_trip(client_user):
    token, secret = api_token_create(user=client_user, name="  Website sync ")
    assert token.name == "Website sync"
    assert len(secret) > 40
    assert token.digest != secret and len(token.digest) == 64
    assert api_token_authenticate(secret=secret) == client_user
    assert api_token_authenticate(secret=secret + "x") is None
    assert api_token_authenticate(secret="gst_" + "a" * 500) is None


def test_api_token_revoke_is_idempotent(client_user):
    token, secret = api_token_create(user=client_user, name="t")
    first = api_token_revoke(token=token).revoked_at
    second = api_token_revoke(token=token).revoked_at
    assert first is not None and first == second
    assert api_token_authenticate(secret=secret) is None


def test_api_token_use_is_recorded_at_most_once_a_minute(client_user, django_assert_num_queries):
    _, secret = api_token_create(user=client_user, name="t")
    with django_assert_num_queries(2):  # look-up + first touch
        api_token_authenticate(secret=secret)
    with django_assert_num_queries(1):  # look-up only
        api_token_authenticate(secret=secret)
    assert ApiToken.objects.get().last_used_at is not None
