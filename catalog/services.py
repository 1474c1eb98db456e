"""Writes for the catalog: the only code that creates or changes services and busy days."""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from catalog.cache import catalog_changed
from catalog.gazetteer import city_nearest, city_resolve, fold
from catalog.models import (
    CURRENCIES,
    MAX_HOURLY_RATE_MINOR,
    BusyDay,
    Category,
    Listing,
    Pricing,
    Service,
    ServiceKeyword,
)
from catalog.pricing import price_for
from catalog.search_sql import on_postgresql, search_document

MAX_KEYWORDS = 200
WORD_RE = re.compile(r"[a-z0-9]+")


def words_of(text: str) -> list[str]:
    """Search words: accent-folded, lower case, 2-40 characters, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in WORD_RE.findall(fold(text)):
        if 2 <= len(word) <= 40:
            seen.setdefault(word, None)
    return list(seen)


def search_words_of(*, title: str, description: str, category_name: str, provider_name: str) -> list[str]:
    """The words a service is found by: its title, description, category and provider name; the first MAX_KEYWORDS."""
    return words_of(" ".join([title, description, category_name, provider_name]))[:MAX_KEYWORDS]


@dataclass(frozen=True)
class ServiceData:
    """What a provider may set on a service; forms and API schemas both produce one."""

    title: str
    description: str
    category: str  # slug
    price_minor: int | None  # fixed prices; an hourly service's is worked out from its rate
    currency: str
    duration_minutes: int
    city: str
    latitude: float | None = None
    longitude: float | None = None
    is_active: bool = True
    deposit_percent: int = 0
    balance_due_days: int = 14
    deposit_paid_early: bool = False
    pricing: str = Pricing.FIXED
    hourly_rate_minor: int | None = None  # hourly services: the price of one hour
    min_duration_minutes: int | None = None  # hourly services: the shortest booking taken


def _require_provider(user: User) -> None:
    if not user.is_provider:
        raise PermissionDenied("Only provider accounts can offer services.")


def _apply(service: Service, data: ServiceData) -> None:
    """Copy validated data onto the service; resolve the category and the city."""
    errors: dict[str, list[str]] = {}
    category = Category.objects.filter(slug=data.category).first()
    if category is None:
        errors["category"] = [f"Unknown category {data.category!r}."]
    service.title = data.title.strip()
    service.description = data.description.strip()
    service.currency = data.currency.strip().upper()
    if service.currency not in CURRENCIES:
        errors["currency"] = [f"Prices can be in {', '.join(CURRENCIES)}."]
    service.duration_minutes = data.duration_minutes
    pricing_errors = _apply_pricing(service, data)
    errors.update(pricing_errors)
    service.is_active = data.is_active
    service.deposit_percent = data.deposit_percent
    service.balance_due_days = data.balance_due_days
    service.deposit_paid_early = data.deposit_paid_early  # needs a deposit: Service.clean

    city = city_resolve(data.city)
    if data.latitude is not None and data.longitude is not None:
        # Explicit coordinates win (a street address, a venue outside any listed city); the place
        # is kept as typed, the time zone and country are those of the nearest listed city.
        nearest = city_nearest(data.latitude, data.longitude)
        service.city = data.city.strip()
        service.latitude, service.longitude = data.latitude, data.longitude
        service.country_code, service.timezone = nearest.country_code, nearest.timezone
    elif city is not None:
        service.city = city.label
        service.latitude, service.longitude = city.latitude, city.longitude
        service.country_code, service.timezone = city.country_code, city.timezone
    else:
        errors["city"] = ["Unknown city: pick one from the suggestions, or send latitude and longitude."]
    if category is not None:
        service.category = category
    try:
        unchecked = ["provider", "category", "search_text"] + (["latitude", "longitude"] if "city" in errors else [])
        unchecked += list(pricing_errors)  # said already, in words of their own
        if service.pricing == Pricing.HOURLY or "pricing" in pricing_errors:
            unchecked.append("price_minor")  # worked out from the rate, whose range full_clean checks
        service.full_clean(exclude=unchecked, validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _apply_pricing(service: Service, data: ServiceData) -> dict[str, list[str]]:
    """A fixed price, or an hourly rate with a minimum length; an hourly service's `price_minor`
    is what its typical duration costs (catalog.pricing), so search compares like with like.
    Returns errors full_clean does not find (it checks each field's range)."""
    if data.pricing not in Pricing.values:
        return {"pricing": [f"Pick {' or '.join(Pricing.values)}."]}
    service.pricing = data.pricing
    if data.pricing == Pricing.FIXED:
        service.price_minor = data.price_minor
        service.hourly_rate_minor = service.min_duration_minutes = None
        return {} if data.price_minor is not None else {"price_minor": ["Give the price."]}
    service.hourly_rate_minor, service.min_duration_minutes = data.hourly_rate_minor, data.min_duration_minutes
    errors = {}
    if data.hourly_rate_minor is None:
        errors["hourly_rate_minor"] = ["Give the hourly rate."]
    if data.min_duration_minutes is None:
        errors["min_duration_minutes"] = ["Give the shortest booking you take, in minutes."]
    elif data.min_duration_minutes > data.duration_minutes:
        errors["min_duration_minutes"] = ["The minimum length cannot be longer than the typical duration."]
    if data.hourly_rate_minor is not None:
        service.price_minor = price_for(service, data.duration_minutes)
        if 100 <= data.hourly_rate_minor <= MAX_HOURLY_RATE_MINOR and service.price_minor < 100:
            errors["hourly_rate_minor"] = ["At this rate the typical duration costs less than 1.00: raise the rate."]
    return errors


def _reindex(service: Service) -> None:
    words = search_words_of(
        title=service.title,
        description=service.description,
        category_name=service.category.name,
        provider_name=service.provider.display_name,
    )
    service.search_text = " ".join(words)
    service.save(update_fields=["search_text"])
    if not on_postgresql():  # PostgreSQL finds words through the listing's tsvector instead
        ServiceKeyword.objects.filter(service=service).delete()
        ServiceKeyword.objects.bulk_create([ServiceKeyword(service=service, word=w) for w in words])
    listings_refresh(services=Service.objects.filter(pk=service.pk))
    transaction.on_commit(catalog_changed)


# The listing's columns, each with where it comes from on the service's row.
_LISTING_SOURCES = {
    "service_id": F("pk"),
    "provider_id": F("provider_id"),
    "category_id": F("category_id"),
    "title": F("title"),
    "price_minor": F("price_minor"),
    "rating_avg": F("provider__provider_profile__rating_avg"),
    "rating_count": F("provider__provider_profile__rating_count"),
    "latitude": F("latitude"),
    "longitude": F("longitude"),
    "created_at": F("created_at"),
}


def listings_refresh(*, services: QuerySet[Service]) -> None:
    """Make the search listings of `services` match their rows (catalog.models.Listing): a listed
    service (active, of an active provider with a profile) gets its listing written or replaced;
    the others lose theirs. One INSERT ... SELECT and one DELETE, however many services."""
    scope = services.order_by().values("pk")
    listed = Service.objects.filter(
        pk__in=scope, is_active=True, provider__is_active=True, provider__provider_profile__isnull=False
    ).order_by()
    sources = dict(_LISTING_SOURCES)
    if on_postgresql():
        sources["search_document"] = search_document(F("search_text"))
    # Aliases that are not field names, selected in the order the INSERT names the columns.
    select = listed.annotate(**{f"listing_{name}": value for name, value in sources.items()})
    select = select.values_list(*(f"listing_{name}" for name in sources))
    sql, params = select.query.sql_with_params()
    columns = ", ".join(sources)
    updates = ", ".join(f"{name} = excluded.{name}" for name in sources if name != "service_id")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Listing._meta.db_table} ({columns}) {sql} ON CONFLICT (service_id) DO UPDATE SET {updates}",
            params,
        )
        Listing.objects.filter(pk__in=scope).exclude(pk__in=listed.values("pk")).delete()


def _require_owner(service: Service, actor: User) -> None:
    if service.provider_id != actor.pk:
        raise PermissionDenied("You can only change your own services.")


_EDITABLE_FIELDS = [f.name for f in Service._meta.concrete_fields if not f.primary_key and f.name != "cover"]


def _save(service: Service, data: ServiceData) -> Service:
    """Validate everything first, then write the row and its search words together."""
    _apply(service, data)
    with transaction.atomic():
        if service.pk is None:
            service.save()
        else:  # the cover is catalog.photos's to change: an edit form read earlier must not undo it
            service.save(update_fields=_EDITABLE_FIELDS)
        _reindex(service)
    return service


def service_create(*, provider: User, data: ServiceData) -> Service:
    _require_provider(provider)
    return _save(Service(provider=provider), data)


def service_update(*, service: Service, actor: User, data: ServiceData) -> Service:
    _require_owner(service, actor)
    return _save(service, data)


def service_set_active(*, service: Service, actor: User, is_active: bool) -> Service:
    _require_owner(service, actor)
    if service.is_active != is_active:
        with transaction.atomic():
            service.is_active = is_active
            service.save(update_fields=["is_active", "updated_at"])
            listings_refresh(services=Service.objects.filter(pk=service.pk))
        transaction.on_commit(catalog_changed)
    return service


def services_reindex_for_provider(*, provider: User) -> None:
    """The provider's name is searchable: re-index their services after it changes."""
    for service in Service.objects.filter(provider=provider).select_related("category", "provider"):
        _reindex(service)


MAX_BLOCK_DAYS = 366


def busy_day_block(*, provider: User, start: dt.date, end: dt.date | None = None, note: str = "") -> list[BusyDay]:
    """Block a date or an inclusive range of dates. Dates already blocked stay as they are."""
    _require_provider(provider)
    end = end or start
    today = timezone.localdate()
    errors = {}
    if start < today:
        errors["start"] = ["Pick today or a later date."]
    if end < start:
        errors["end"] = ["The last day must not be before the first."]
    elif (end - start).days >= MAX_BLOCK_DAYS:
        errors["end"] = [f"Block at most {MAX_BLOCK_DAYS} days at once."]
    if len(note) > 200:
        errors["note"] = ["Keep the note under 200 characters."]
    if errors:
        raise ValidationError(errors)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    with transaction.atomic():
        taken = set(
            BusyDay.objects.filter(provider=provider, kind=BusyDay.Kind.BLOCKED, date__in=days).values_list(
                "date", flat=True
            )
        )
        BusyDay.objects.bulk_create(
            [BusyDay(provider=provider, date=d, kind=BusyDay.Kind.BLOCKED, note=note) for d in days if d not in taken]
        )
        transaction.on_commit(catalog_changed)
    return list(BusyDay.objects.filter(provider=provider, kind=BusyDay.Kind.BLOCKED, date__in=days))


def busy_day_unblock(*, provider: User, date: dt.date) -> int:
    """Free a date the provider blocked. Days occupied by bookings are not touched."""
    deleted, _ = BusyDay.objects.filter(provider=provider, kind=BusyDay.Kind.BLOCKED, date=date).delete()
    if deleted:
        transaction.on_commit(catalog_changed)
    return deleted
