"""Small builders for tests that need people, and for requests made as them; they go through
the real services."""

import json

from allauth.account.models import EmailAddress

from accounts.models import Role, User
from accounts.services import api_token_create, provider_profile_ensure

PASSWORD = "correct-horse-battery-staple"


def make_user(email: str, display_name: str, role: str = Role.CLIENT, **extra) -> User:
    """A user with a verified primary email who logs in with PASSWORD."""
    user = User.objects.create_user(email=email, password=PASSWORD, display_name=display_name, role=role, **extra)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    provider_profile_ensure(user=user)
    return user


def auth(user: User) -> dict[str, str]:
    """Headers for an API request as `user`, with a fresh bearer token."""
    _, secret = api_token_create(user=user, name="t")
    return {"Authorization": f"Bearer {secret}"}


def post(client, url: str, body: dict, user: User):
    """A JSON POST to the API as `user`."""
    return client.post(url, json.dumps(body), content_type="application/json", headers=auth(user))


def session_queries(settings) -> int:
    """1 when sessions live in the database, 0 with the cache (Redis) session store."""
    return int(settings.SESSION_ENGINE == "django.contrib.sessions.backends.db")
