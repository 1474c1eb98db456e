import datetime as dt
from decimal import Decimal

from django import forms
from django.conf import settings
from django.forms.renderers import Jinja2
from django.utils import timezone

from catalog.fields import PlaceField
from catalog.models import (
    CURRENCIES,
    DEPOSIT_PAID_EARLY_HELP,
    MAX_BALANCE_DUE_DAYS,
    MAX_DEPOSIT_PERCENT,
    MAX_DURATION_MINUTES,
    MAX_HOURLY_RATE_MINOR,
    MAX_PRICE_MINOR,
    MIN_DURATION_MINUTES,
    Category,
    Pricing,
)
from catalog.photos import MAX_SERVICE_PHOTOS, MAX_UPLOAD_BYTES, MAX_UPLOAD_TOTAL_BYTES, MIN_SIDE
from catalog.selectors import MAX_PAGE, SearchFilters, categories_all
from catalog.services import ServiceData

SORT_CHOICES = [
    ("relevance", "Best match"),
    ("price", "Price: low to high"),
    ("-price", "Price: high to low"),
    ("distance", "Distance"),
    ("rating", "Rating"),
]
RADIUS_CHOICES = [
    ("", "Any distance"),
    ("10", "Within 10 km"),
    ("25", "Within 25 km"),
    ("50", "Within 50 km"),
    ("100", "Within 100 km"),
    ("250", "Within 250 km"),
]


def _to_minor(amount) -> int | None:
    return None if amount is None else round(amount * 100)


# Every search page renders the filters' widgets: Django's own widget templates in Jinja2 render them
# four times faster (3 ms against 0.7 ms). Only this form: the admin's widgets have no Jinja2 templates.
WIDGETS_IN_JINJA2 = Jinja2()


# How far ahead a date carried in a link may be (bookings.models.MAX_YEARS_AHEAD, in days).
LINK_DATE_MAX_DAYS = 10 * 365


def date_from_link(value: str | None) -> dt.date | None:
    """The date a link carries from search to the service page and the booking form (`?date=`):
    a YYYY-MM-DD from today on, else None. A bad or past date is ignored, never an error: it only
    pre-fills a field."""
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    today = timezone.localdate()
    return day if today <= day <= today + dt.timedelta(days=LINK_DATE_MAX_DAYS) else None


class SearchForm(forms.Form):
    """The search page's filters, in units people type (whole currency, a city name)."""

    default_renderer = WIDGETS_IN_JINJA2

    q = forms.CharField(
        label="What",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Jazz trio, wedding DJ, photographer…"}),
    )
    category = forms.ChoiceField(label="Category", required=False)
    city = PlaceField(label="Where", required=False, widget=forms.TextInput(attrs={"placeholder": "City"}))
    radius_km = forms.TypedChoiceField(
        label="Distance", choices=RADIUS_CHOICES, coerce=float, empty_value=None, required=False
    )
    date = forms.DateField(label="Date", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    min_price = forms.DecimalField(
        label="Min price",
        min_value=0,
        max_value=MAX_PRICE_MINOR // 100,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"placeholder": "Min", "step": "1"}),
    )
    max_price = forms.DecimalField(
        label="Max price",
        min_value=0,
        max_value=MAX_PRICE_MINOR // 100,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"placeholder": "Max", "step": "1"}),
    )
    sort = forms.ChoiceField(label="Sort by", choices=SORT_CHOICES, required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "All categories")] + [(c.slug, c.name) for c in categories_all()]

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date and date < timezone.localdate():
            raise forms.ValidationError("Pick today or a later date.")
        return date

    def clean(self):
        data = super().clean()
        if data.get("radius_km") and not data.get("city") and "city" not in self.errors:
            self.add_error("city", "Pick a city to search within a distance.")
        if data.get("sort") == "distance" and not data.get("city") and "city" not in self.errors:
            self.add_error("sort", "Sorting by distance needs a city.")
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "The maximum is below the minimum.")
        return data

    def to_filters(self, *, page_size: int = 20) -> SearchFilters:
        data = self.cleaned_data
        place = data.get("city")
        return SearchFilters(
            q=data.get("q") or "",
            category=data.get("category") or "",
            min_price=_to_minor(data.get("min_price")),
            max_price=_to_minor(data.get("max_price")),
            lat=place.latitude if place else None,
            lng=place.longitude if place else None,
            radius_km=data.get("radius_km") if place else None,
            date=data.get("date"),
            sort=data.get("sort") or "relevance",
            page=data.get("page") or 1,
            page_size=page_size,
        )


HOURLY_FIELDS = ("hourly_rate", "min_duration_minutes")


class ServiceForm(forms.Form):
    title = forms.CharField(
        label="Title",
        min_length=3,
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Jazz trio for receptions"}),
    )
    category = forms.ChoiceField(label="Category")
    description = forms.CharField(
        label="Description",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What is included, what you need from the venue, how long you play.",
    )
    pricing = forms.ChoiceField(
        label="How you charge", choices=Pricing.choices, initial=Pricing.FIXED, widget=forms.RadioSelect
    )
    price = forms.DecimalField(
        label="Price",
        min_value=1,
        max_value=MAX_PRICE_MINOR // 100,
        decimal_places=2,
        help_text="The price for one booking of the typical duration.",
    )
    hourly_rate = forms.DecimalField(
        label="Hourly rate",
        min_value=1,
        max_value=MAX_HOURLY_RATE_MINOR // 100,
        decimal_places=2,
        help_text="What one hour costs; the client's price follows the length they book.",
    )
    currency = forms.ChoiceField(label="Currency", choices=[(c, c) for c in CURRENCIES])
    duration_minutes = forms.IntegerField(
        label="Typical duration (minutes)", min_value=MIN_DURATION_MINUTES, max_value=MAX_DURATION_MINUTES
    )
    min_duration_minutes = forms.IntegerField(
        label="Minimum length (minutes)",
        min_value=MIN_DURATION_MINUTES,
        max_value=MAX_DURATION_MINUTES,
        help_text="The shortest booking you take at your hourly rate.",
    )
    city = PlaceField(
        label="City",
        addresses=True,
        help_text="Where you are based for this service; clients search by distance from it.",
    )
    deposit_percent = forms.IntegerField(
        label="Deposit (%)",
        min_value=0,
        max_value=MAX_DEPOSIT_PERCENT,
        initial=0,
        required=False,
        help_text="Paid when you accept; the rest later. 0 takes the whole price at once.",
    )
    balance_due_days = forms.IntegerField(
        label="Balance due (days before the gig)",
        min_value=1,
        max_value=MAX_BALANCE_DUE_DAYS,
        initial=14,
        required=False,
        help_text="With a deposit: when the rest of the price is due.",
    )
    deposit_paid_early = forms.BooleanField(
        label="Pay my deposit out before the gig", required=False, help_text=DEPOSIT_PAID_EARLY_HELP
    )
    is_active = forms.BooleanField(label="Show in search", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.slug, c.name) for c in Category.objects.all()]
        self.fields["price"].help_text = (
            f"What the client pays for one booking of the typical duration. GigSta's fee of "
            f"{settings.PLATFORM_FEE_PERCENT:g} % is taken from it when you are paid."
        )
        # Each way of charging needs only its own fields; a form that does not say is a fixed price.
        if self.is_bound and not self.data.get(self.add_prefix("pricing")):
            self.data = self.data.copy()
            self.data[self.add_prefix("pricing")] = Pricing.FIXED
        unused = ("price",) if self.data.get(self.add_prefix("pricing")) == Pricing.HOURLY else HOURLY_FIELDS
        for name in unused:
            self.fields[name].required = False

    def to_data(self) -> ServiceData:
        data = self.cleaned_data
        place = data["city"]
        return ServiceData(
            # A street address brings its own coordinates; a city is looked up again by its label.
            latitude=place.latitude if place.exact else None,
            longitude=place.longitude if place.exact else None,
            title=data["title"],
            description=data["description"],
            category=data["category"],
            pricing=data["pricing"],
            price_minor=_to_minor(data["price"]),
            hourly_rate_minor=_to_minor(data["hourly_rate"]),
            min_duration_minutes=data["min_duration_minutes"],
            currency=data["currency"],
            duration_minutes=data["duration_minutes"],
            city=place.label,
            is_active=data["is_active"],
            deposit_percent=data["deposit_percent"] or 0,
            balance_due_days=data["balance_due_days"] or 14,
            deposit_paid_early=data["deposit_paid_early"],
        )

    @classmethod
    def initial_for(cls, service) -> dict:
        return {
            "title": service.title,
            "category": service.category.slug,
            "description": service.description,
            "pricing": service.pricing,
            "price": Decimal(service.price_minor) / 100,
            "hourly_rate": Decimal(service.hourly_rate_minor) / 100 if service.hourly_rate_minor else None,
            "min_duration_minutes": service.min_duration_minutes,
            "currency": service.currency,
            "duration_minutes": service.duration_minutes,
            "city": service.city,
            "is_active": service.is_active,
            "deposit_percent": service.deposit_percent,
            "balance_due_days": service.balance_due_days,
            "deposit_paid_early": service.deposit_paid_early,
        }


class BlockDatesForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label="To (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty to block one day.",
    )
    note = forms.CharField(label="Note (only you see it)", max_length=200, required=False)

    def clean_start(self) -> dt.date:
        start = self.cleaned_data["start"]
        if start < timezone.localdate():
            raise forms.ValidationError("Pick today or a later date.")
        return start


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label="Add a photo",
        help_text="JPEG, PNG or WebP, up to 8 MB. We resize it and crop a square thumbnail.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


MB = 1024 * 1024
PHOTOS_HELP = (
    f"JPEG, PNG or WebP, up to {MAX_UPLOAD_BYTES // MB} MB each and {MAX_UPLOAD_TOTAL_BYTES // MB} MB together, "
    f"at least {MIN_SIDE} pixels on each side; up to {MAX_SERVICE_PHOTOS} per service."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type="file" multiple> (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple) and data:
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        cleaned = super().clean(data or None, initial)  # nothing sent: "required", or None
        return [cleaned] if cleaned else []


class ServicePhotosForm(forms.Form):
    """Photos for a service. On the new-service page they are optional; the files are checked by
    catalog.photos.service_photos_add, which says which one is refused and why."""

    photos = MultipleFileField(
        label="Photos",
        error_messages={"required": "Choose one or more photos."},
        help_text=PHOTOS_HELP,
    )

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].required = required


class PhotoAltForm(forms.Form):
    alt = forms.CharField(
        label="Description",
        max_length=200,
        required=False,
        strip=True,
        help_text="What the photo shows, read out to people who cannot see it.",
    )


class ServiceNewForm(ServiceForm):
    """A new service's details, and photos to show with it (optional)."""

    photos = MultipleFileField(
        label="Photos",
        required=False,
        help_text=PHOTOS_HELP + " The first one becomes the cover in search; you can choose another later.",
    )
