"""Writes for accounts: the only code that creates users, profiles and API tokens."""

import hashlib
import secrets

from allauth.account.models import EmailAddress
from allauth.core.context import request_context as allauth_request_context
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import ApiToken, ProviderProfile, Role, User
from gigsta.errors import Conflict

TOKEN_PREFIX = "gst_"


class EmailTaken(Conflict):
    """Another account already uses this email address."""

    code = "email_taken"

    def __init__(self, email: str = ""):
        super().__init__("An account with this email address already exists.")
        self.email = email


def user_create(
    *,
    email: str,
    password: str,
    display_name: str,
    role: str,
    request: HttpRequest,
) -> User:
    """Create an account from the API (the HTML sign-up runs through allauth's form).

    Validates everything first; raises ValidationError (with field names) or EmailTaken.
    The verification email is sent only once the account is committed.
    """
    email = email.strip().lower()
    display_name = display_name.strip()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError as exc:
        errors["email"] = exc.messages
    if not display_name:
        errors["display_name"] = ["Enter the name people will see."]
    if role not in Role.values:
        errors["role"] = [f"Choose one of: {', '.join(Role.values)}."]
    try:
        validate_password(password, user=User(email=email, display_name=display_name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(email)

    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, display_name=display_name, role=role)
            provider_profile_ensure(user=user)
            address = EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
            _send_verification_email(address=address, request=request)  # queued with the account (a task)
    except IntegrityError:
        # Lost a race with another sign-up for the same address.
        raise EmailTaken(email) from None
    return user


def _send_verification_email(*, address: EmailAddress, request: HttpRequest) -> None:
    # allauth renders its emails from the request it finds in its own context.
    with allauth_request_context(request):
        address.send_confirmation(request, signup=True)


def provider_profile_ensure(*, user: User) -> ProviderProfile | None:
    """Providers always have a profile; clients never get one."""
    if user.role != Role.PROVIDER:
        return None
    profile, _ = ProviderProfile.objects.get_or_create(user=user)
    return profile


def user_update_profile(
    *,
    user: User,
    display_name: str,
    bio: str | None = None,
    city: str | None = None,
    payment_instructions: str | None = None,
    phone: str | None = None,
) -> User:
    from catalog.services import services_reindex_for_provider  # catalog builds on accounts

    with transaction.atomic():
        renamed = user.display_name != display_name.strip()
        user.display_name = display_name.strip()
        if phone is not None:
            user.phone = " ".join(phone.split())
        user.full_clean(exclude=["password"])
        user.save(update_fields=["display_name", "phone"])
        if renamed and user.is_provider:
            services_reindex_for_provider(provider=user)
        profile = provider_profile_ensure(user=user)
        if profile is not None:
            profile.bio = bio if bio is not None else profile.bio
            profile.city = city if city is not None else profile.city
            if payment_instructions is not None:
                profile.payment_instructions = payment_instructions.strip()
            profile.full_clean()
            profile.save(update_fields=["bio", "city", "payment_instructions", "updated_at"])
    return user


def user_set_active(*, user: User, is_active: bool) -> User:
    """Let an account log in and be found, or not: a provider's services leave search with it
    and come back when it is active again."""
    from catalog.cache import catalog_changed  # catalog builds on accounts
    from catalog.services import listings_refresh

    with transaction.atomic():
        user.is_active = is_active
        user.save(update_fields=["is_active"])
        listings_refresh(services=user.services.all())
    transaction.on_commit(catalog_changed)
    return user


def user_has_bookings(*, user: User) -> bool:
    from bookings.models import Booking  # bookings builds on accounts

    return Booking.objects.filter(Q(client=user) | Q(provider=user)).exists()


def user_switch_role(*, user: User, role: str) -> User:
    """Change a client account into a provider account or back, while it has no bookings on
    either side (a booking's two parties must stay what they were). A provider turning client
    keeps their services, paused: they leave search and come back if the account turns
    provider again and the provider resumes them."""
    from catalog.cache import catalog_changed  # catalog builds on accounts
    from catalog.services import listings_refresh

    if role not in Role.values:
        raise ValidationError({"role": ["Choose client or provider."]})
    if role == user.role:
        return user
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if user_has_bookings(user=locked):
            raise ValidationError(
                {"role": ["Accounts with bookings keep their type. Create a second account with another email."]}
            )
        locked.role = role
        locked.save(update_fields=["role"])
        provider_profile_ensure(user=locked)
        if role == Role.CLIENT:
            services = locked.services.filter(is_active=True)
            paused = list(services.values_list("pk", flat=True))
            services.update(is_active=False)
            listings_refresh(services=locked.services.filter(pk__in=paused))
    transaction.on_commit(catalog_changed)
    user.role = role
    return user


def _token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is shown once and never stored."""
    name = name.strip() or "API token"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:80], prefix=secret[: len(TOKEN_PREFIX) + 6], digest=_token_digest(secret))
    token.full_clean()
    token.save()
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, secret: str) -> User | None:
    """The active user a bearer secret belongs to, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_token_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute: no write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
