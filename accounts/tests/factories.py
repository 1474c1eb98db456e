"""Small builders for tests that need people; they go through the real services."""

from allauth.account.models import EmailAddress

from accounts.models import Role, User
from accounts.services import provider_profile_ensure

PASSWORD = "correct-horse-battery-staple"


def make_user(email: str, display_name: str, role: str = Role.CLIENT, **extra) -> User:
    """A user with a verified primary email who logs in with PASSWORD."""
    user = User.objects.create_user(email=email, password=PASSWORD, display_name=display_name, role=role, **extra)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    provider_profile_ensure(user=user)
    return user
