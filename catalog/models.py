import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

# Money is integer minor units; the largest price a listing may ask (1,000,000.00).
MAX_PRICE_MINOR = 100_000_000
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 24 * 60
MAX_DEPOSIT_PERCENT = 90
# Currencies a listing may be priced in. All have two decimals, as prices are kept in minor
# units (cents) and card payments send those to Stripe: a zero-decimal currency such as JPY
# would be charged a hundred times over.
CURRENCIES = ("EUR", "GBP", "USD", "CHF", "SEK", "DKK", "NOK", "PLN", "CZK")
MAX_BALANCE_DUE_DAYS = 90
# What the provider's "pay my deposit out before the gig" setting does, said once for the form,
# the admin and the API.
DEPOSIT_PAID_EARLY_HELP = (
    "When a client pays the deposit by card, GigSta pays it to you, less its fee, within a day; the rest is "
    "held until 14 days after the gig. If the booking is cancelled and the client is due a refund of the "
    "deposit, it is taken back from your account first. Only with a deposit above 0 % and card payouts "
    "on; bookings paid to you directly are not affected."
)
# The highest hourly rate: a whole day at it still costs no more than MAX_PRICE_MINOR.
MAX_HOURLY_RATE_MINOR = MAX_PRICE_MINOR * 60 // MAX_DURATION_MINUTES
# The widths a service photo is stored in (catalog.photos), each at most this wide.
SMALL_WIDTH, MEDIUM_WIDTH, LARGE_WIDTH = 320, 640, 1280


class Pricing(models.TextChoices):
    """How a service is priced (catalog.pricing.price_for computes what a booking costs)."""

    FIXED = "fixed", "A fixed price"
    HOURLY = "hourly", "An hourly rate"


class Category(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """Something a provider offers: a listing clients search for and book."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="services")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="services")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=4000, blank=True)
    price_minor = models.PositiveIntegerField(
        validators=[MinValueValidator(100), MaxValueValidator(MAX_PRICE_MINOR)],
        help_text="Price in minor units (cents) of one booking of the typical duration. Hourly services: "
        "the hourly rate times that duration, kept here so search compares every service alike.",
    )
    pricing = models.CharField(max_length=8, choices=Pricing.choices, default=Pricing.FIXED, db_default=Pricing.FIXED)
    # Hourly services only (null for fixed prices): the rate, and the shortest booking taken.
    hourly_rate_minor = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(100), MaxValueValidator(MAX_HOURLY_RATE_MINOR)],
        help_text="Hourly services: the price of one hour in minor units (cents).",
    )
    min_duration_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_DURATION_MINUTES), MaxValueValidator(MAX_DURATION_MINUTES)],
        help_text="Hourly services: the shortest booking taken, in minutes.",
    )
    currency = models.CharField(max_length=3, validators=[RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 code.")])
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(MIN_DURATION_MINUTES), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    city = models.CharField(max_length=120)
    country_code = models.CharField(max_length=2, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    is_active = models.BooleanField(default=True)
    # Deposit + balance: the client pays this share when the booking is accepted and the rest
    # `balance_due_days` before the gig. 0: the whole price at once.
    deposit_percent = models.PositiveSmallIntegerField(
        default=0, db_default=0, validators=[MaxValueValidator(MAX_DEPOSIT_PERCENT)]
    )
    balance_due_days = models.PositiveSmallIntegerField(
        default=14, db_default=14, validators=[MinValueValidator(1), MaxValueValidator(MAX_BALANCE_DUE_DAYS)]
    )
    # With a deposit and card payouts: the deposit is paid out to the provider as soon as it is
    # captured, instead of after the gig (payments.services.payouts.deposit_release). Bookings copy it.
    deposit_paid_early = models.BooleanField(
        "Pay my deposit out before the gig",
        default=False,
        db_default=False,
        help_text=DEPOSIT_PAID_EARLY_HELP,
    )
    # Lower-cased words of title, description, category and provider name, for portable search.
    search_text = models.TextField(blank=True, editable=False)
    # The photo search cards and the service page lead with: one of this service's photos, or
    # none. Kept here (catalog.photos keeps it right) so a page of results reads its covers in the
    # same query as its services.
    cover = models.ForeignKey(
        "ServicePhoto", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="service_lat_lng"),
            models.Index(fields=["category", "price_minor"], name="service_category_price"),
            models.Index(fields=["price_minor"], name="service_price"),
            models.Index(fields=["provider", "is_active"], name="service_provider_active"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_minor__gte=100) & Q(price_minor__lte=MAX_PRICE_MINOR), name="service_price_range"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=MIN_DURATION_MINUTES) & Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="service_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(deposit_percent__lte=MAX_DEPOSIT_PERCENT)
                & Q(balance_due_days__gte=1)
                & Q(balance_due_days__lte=MAX_BALANCE_DUE_DAYS),
                name="service_deposit_range",
            ),
            models.CheckConstraint(
                condition=Q(pricing=Pricing.FIXED, hourly_rate_minor__isnull=True, min_duration_minutes__isnull=True)
                | Q(
                    pricing=Pricing.HOURLY,
                    hourly_rate_minor__gte=100,
                    hourly_rate_minor__lte=MAX_HOURLY_RATE_MINOR,
                    min_duration_minutes__gte=MIN_DURATION_MINUTES,
                    min_duration_minutes__lte=F("duration_minutes"),
                ),
                name="service_pricing_valid",
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90) & Q(latitude__lte=90) & Q(longitude__gte=-180) & Q(longitude__lte=180),
                name="service_coordinates_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # Checked here so the form, the API and the admin all refuse it in the same words.
        if self.deposit_paid_early and not self.deposit_percent:
            raise ValidationError(
                {"deposit_paid_early": "Set a deposit first: without one there is nothing to pay out early."}
            )


class Listing(models.Model):
    """A service as search sees it: one narrow row per listed service, that is an active service of
    an active provider with a profile, holding everything search filters and sorts on (the
    provider's rating and id included), so the indexes here answer every question without a join
    and a sort moves small rows. Written only by catalog.services.listings_refresh, after each
    change to a service, its provider's name, rating or standing.

    On PostgreSQL it also has a `search_document` tsvector of the service's search words (with a
    GIN index) and a GiST index of its place (catalog migration 0009); elsewhere words are found
    through ServiceKeyword rows and places through the latitude/longitude index."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, primary_key=True, related_name="listing")
    # No index of their own: busy days are found from the provider, categories through the indexes below.
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+", db_index=False)
    title = models.CharField(max_length=120)
    price_minor = models.PositiveIntegerField()
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2)
    rating_count = models.PositiveIntegerField()
    latitude = models.FloatField()
    longitude = models.FloatField()
    created_at = models.DateTimeField()

    class Meta:
        # Each sort walks an index in its order: alone, or within one category (a category is
        # often a small share of the catalogue, and its prices are not those of the others).
        indexes = [
            models.Index(fields=["price_minor"], name="listing_price"),
            models.Index(fields=["category", "price_minor"], name="listing_category_price"),
            models.Index(F("rating_avg").desc(), F("rating_count").desc(), name="listing_rating"),
            models.Index("category", F("rating_avg").desc(), F("rating_count").desc(), name="listing_category_rating"),
            models.Index(fields=["latitude", "longitude"], name="listing_lat_lng"),
        ]

    def __str__(self) -> str:
        return self.title


class ServiceKeyword(models.Model):
    """One word of a service's searchable text. Prefix look-ups use an ordinary index on
    every database, so text search needs no engine-specific full-text features."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="keywords")
    # db_index: on PostgreSQL Django adds a pattern-ops index too, so LIKE 'word%' uses it.
    word = models.CharField(max_length=40, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "word"], name="keyword_unique_per_service")]

    def __str__(self) -> str:
        return self.word


class BusyDay(models.Model):
    """A day a provider cannot take a new booking.

    Search asks one question, "is there a BusyDay for this provider on that date?", so
    every source of unavailability writes rows here: dates the provider blocks by hand
    (kind=blocked) and, from the bookings app, the days its accepted bookings occupy
    (kind=booking, with the booking's id as source_id), and from the calendars app the days
    the provider's own calendar fills from midnight to midnight (kind=imported, with the
    calendars.BusyImport's id as source_id).
    """

    class Kind(models.TextChoices):
        BLOCKED = "blocked", "Blocked by the provider"
        BOOKING = "booking", "Booked"
        IMPORTED = "imported", "Busy in the provider's own calendar"

    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="busy_days")
    date = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BLOCKED)
    source_id = models.UUIDField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]
        indexes = [models.Index(fields=["provider", "date"], name="busyday_provider_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "date"], condition=Q(kind="blocked"), name="busyday_one_block_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} busy on {self.date} ({self.kind})"


def _photo_path(instance: "ProviderPhoto", filename: str) -> str:
    return f"providers/{instance.provider.public_id}/{filename}"


class ProviderPhoto(models.Model):
    """A photo on a provider's public profile, resized on upload, with a square thumbnail."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_photo_path)
    thumbnail = models.ImageField(upload_to=_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return f"Photo of {self.provider_id}"


def scaled_size(width: int, height: int, most: int) -> tuple[int, int]:
    """The size of a `width` x `height` image made at most `most` pixels wide, never enlarged. Photos
    are resized to it (catalog.photos) and pages state it: both read this one function."""
    if width <= most:
        return width, height
    return most, max(1, int(height * most / width + 0.5))


def _service_photo_path(instance: "ServicePhoto", filename: str) -> str:
    return f"services/{instance.service.public_id}/{filename}"


class ServicePhoto(models.Model):
    """A photo of one service, resized on upload into three widths (at most 320, 640 and 1280
    pixels, for `srcset`) and a square thumbnail; the original is not kept. `width` and `height`
    are the large copy's; the smaller ones have its proportions. The service's cover is
    `Service.cover`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="photos")
    small = models.ImageField(upload_to=_service_photo_path)
    medium = models.ImageField(upload_to=_service_photo_path)
    large = models.ImageField(upload_to=_service_photo_path)
    thumbnail = models.ImageField(upload_to=_service_photo_path)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)
    alt = models.CharField(max_length=200, blank=True, help_text="What the photo shows, for people who cannot see it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at"]
        indexes = [models.Index(fields=["service", "position"], name="servicephoto_service_position")]

    def __str__(self) -> str:
        return f"Photo of service {self.service_id}"

    def _scaled(self, most: int) -> tuple[int, int]:
        return scaled_size(self.width, self.height, most)

    @property
    def sources(self) -> list[tuple[str, int, int]]:
        """(file field, width, height) of each distinct width, smallest first, for `srcset`."""
        found, seen = [], set()
        for field, most in ((self.small, SMALL_WIDTH), (self.medium, MEDIUM_WIDTH), (self.large, LARGE_WIDTH)):
            width, height = self._scaled(most)
            if width not in seen:
                seen.add(width)
                found.append((field, width, height))
        return found

    @property
    def srcset(self) -> str:
        return ", ".join(f"{field.url} {width}w" for field, width, _ in self.sources)

    @property
    def card_size(self) -> tuple[int, int]:
        """The width and height of the copy a search card's `src` names (the medium one)."""
        return self._scaled(MEDIUM_WIDTH)
