import re
import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    CLIENT = "client", "Client"
    PROVIDER = "provider", "Provider"


MAX_PHONE_LENGTH = 32


def validate_phone(value: str) -> None:
    """A phone number as people write it: digits with spaces, dashes, dots, slashes, brackets
    and a leading +; 6 to 15 digits (the international maximum)."""
    digits = sum(c.isdigit() for c in value)
    if not re.fullmatch(r"\+?[0-9 ()./-]+", value) or not 6 <= digits <= 15:
        raise ValidationError("Enter a phone number such as +49 30 1234567.", code="invalid_phone")


class GigstaUserManager(UserManager):
    """Email is the login; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        extra_fields.setdefault("display_name", "Staff")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT)
    # Optional; shown, with the email, to the other party of a booking once it is confirmed.
    phone = models.CharField(
        max_length=MAX_PHONE_LENGTH, blank=True, default="", db_default="", validators=[validate_phone]
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    objects = GigstaUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>"

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def is_provider(self) -> bool:
        return self.role == Role.PROVIDER

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT


class ProviderProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="provider_profile")
    bio = models.TextField(blank=True, max_length=4000)
    city = models.CharField(max_length=120, blank=True)
    # How clients pay this provider when a booking is paid by bank transfer or cash; shown
    # only to the provider's clients, on bookings waiting for payment.
    payment_instructions = models.TextField(max_length=1000, blank=True, default="", db_default="")
    # Kept up to date by the reviews; read by search and profile pages without a join to reviews.
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # Search's "best rated first": walked in order, so a broad search reads only the rows it shows.
            models.Index(models.F("rating_avg").desc(), models.F("rating_count").desc(), name="profile_rating"),
        ]

    def __str__(self) -> str:
        return f"Provider profile of {self.user.display_name}"


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 digest of the secret is stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise a token.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
