import datetime as dt
from urllib.parse import urljoin
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from accounts.api import ErrorOut
from catalog.cache import search_cache_get, search_cache_key, search_cache_set
from catalog.models import (
    MAX_BALANCE_DUE_DAYS,
    MAX_DEPOSIT_PERCENT,
    MAX_DURATION_MINUTES,
    MAX_HOURLY_RATE_MINOR,
    MAX_PRICE_MINOR,
    MIN_DURATION_MINUTES,
    Category,
    Pricing,
    Service,
)
from catalog.selectors import (
    COUNT_LIMIT,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    SearchFilters,
    service_get_for_owner,
    service_get_public,
    service_search,
)
from catalog.services import ServiceData, service_create, service_update
from gigsta.schemas import InputSchema

router = Router(tags=["catalog"])


class CategoryOut(Schema):
    slug: str
    name: str


class ProviderOut(Schema):
    id: UUID
    display_name: str
    rating_avg: float
    rating_count: int

    @staticmethod
    def resolve_id(user) -> UUID:
        return user.public_id

    @staticmethod
    def resolve_rating_avg(user) -> float:
        profile = getattr(user, "provider_profile", None)
        return float(profile.rating_avg) if profile else 0.0

    @staticmethod
    def resolve_rating_count(user) -> int:
        profile = getattr(user, "provider_profile", None)
        return profile.rating_count if profile else 0


class PhotoSizeOut(Schema):
    url: str
    width: int
    height: int


class PhotoOut(Schema):
    id: UUID
    alt: str = Field(description="What the photo shows; may be empty.")
    sizes: list[PhotoSizeOut] = Field(description="The same photo at up to three widths, narrowest first.")
    thumbnail_url: str = Field(description="A square crop, 480 pixels a side.")


def _absolute(url: str) -> str:
    """A file's address for API clients: object storage's own absolute URL, or local media under
    SITE_URL (answers are cached and shared, so never the asking request's host)."""
    return urljoin(settings.SITE_URL + "/", url)


def photo_out(photo) -> dict:
    return {
        "id": photo.public_id,
        "alt": photo.alt,
        "sizes": [
            {"url": _absolute(field.url), "width": width, "height": height} for field, width, height in photo.sources
        ],
        "thumbnail_url": _absolute(photo.thumbnail.url),
    }


class ServiceOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    title: str
    description: str
    category: str = Field(validation_alias="category.slug")
    price_minor: int = Field(description="The price of one booking of `duration_minutes`.")
    currency: str
    city: str
    latitude: float
    longitude: float
    timezone: str
    duration_minutes: int
    is_active: bool
    deposit_percent: int = Field(description="Share of the price paid when accepted; 0: all at once.")
    balance_due_days: int = Field(description="With a deposit: the balance is due this many days before the gig.")
    deposit_paid_early: bool = Field(description="Card bookings: the deposit is paid out once captured.")
    pricing: Pricing = Field(
        description="fixed: `price_minor` whatever the length booked; hourly: `hourly_rate_minor` per hour booked."
    )
    hourly_rate_minor: int | None = Field(description="Hourly services: the price of one hour; else null.")
    min_duration_minutes: int | None = Field(description="Hourly services: the shortest booking taken; else null.")
    provider: ProviderOut
    cover: PhotoOut | None = Field(description="The photo the service leads with, or null.")

    @staticmethod
    def resolve_cover(service) -> dict | None:
        return photo_out(service.cover) if service.cover_id else None


class ServiceListItemOut(ServiceOut):
    distance_km: float | None = None

    @staticmethod
    def resolve_distance_km(service) -> float | None:
        distance = getattr(service, "distance_km", None)
        return round(distance, 2) if distance is not None else None


class ServiceListOut(Schema):
    items: list[ServiceListItemOut]
    count: int = Field(description=f"Matching services, counted up to {COUNT_LIMIT:,}; `more` says there are more.")
    more: bool = Field(False, description="More services matched than `count`; narrow the search to see them.")
    page: int
    page_size: int


class ServiceFiltersIn(InputSchema):
    q: str = Field("", max_length=200, description="Words to look for in titles, descriptions and provider names.")
    category: str = Field("", max_length=50, description="A category slug from GET /api/categories.")
    min_price: int | None = Field(None, description="Lowest price, in minor units.")
    max_price: int | None = Field(None, description="Highest price, in minor units.")
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None
    date: dt.date | None = Field(None, description="Only providers free that day (YYYY-MM-DD).")
    sort: str = Field("relevance", description="relevance, price, -price, distance or rating.")
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


PRICE_MINOR_DESCRIPTION = "Fixed prices: the price of one booking. Hourly services: worked out from the rate."


class ServiceIn(InputSchema):
    title: str = Field(min_length=3, max_length=120)
    description: str = Field("", max_length=4000)
    category: str = Field(max_length=50)
    price_minor: int | None = Field(None, ge=100, le=MAX_PRICE_MINOR, description=PRICE_MINOR_DESCRIPTION)
    currency: str = Field(pattern=r"^[A-Za-z]{3}$")
    city: str = Field(min_length=2, max_length=120)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    duration_minutes: int = Field(ge=MIN_DURATION_MINUTES, le=MAX_DURATION_MINUTES)
    is_active: bool = True
    deposit_percent: int = Field(0, ge=0, le=MAX_DEPOSIT_PERCENT)
    balance_due_days: int = Field(14, ge=1, le=MAX_BALANCE_DUE_DAYS)
    deposit_paid_early: bool = False
    pricing: Pricing = Pricing.FIXED
    hourly_rate_minor: int | None = Field(None, ge=100, le=MAX_HOURLY_RATE_MINOR)
    min_duration_minutes: int | None = Field(None, ge=MIN_DURATION_MINUTES, le=MAX_DURATION_MINUTES)


class ServicePatchIn(InputSchema):
    """Only the fields sent change. `null` is refused (422) except for the coordinates, where it
    means "find them from the city"."""

    title: str = Field(None, min_length=3, max_length=120)
    description: str = Field(None, max_length=4000)
    category: str = Field(None, max_length=50)
    price_minor: int = Field(None, ge=100, le=MAX_PRICE_MINOR, description=PRICE_MINOR_DESCRIPTION)
    currency: str = Field(None, pattern=r"^[A-Za-z]{3}$")
    city: str = Field(None, min_length=2, max_length=120)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    duration_minutes: int = Field(None, ge=MIN_DURATION_MINUTES, le=MAX_DURATION_MINUTES)
    is_active: bool = Field(None)
    deposit_percent: int = Field(None, ge=0, le=MAX_DEPOSIT_PERCENT)
    balance_due_days: int = Field(None, ge=1, le=MAX_BALANCE_DUE_DAYS)
    deposit_paid_early: bool = Field(None)
    pricing: Pricing = Field(None)
    hourly_rate_minor: int = Field(None, ge=100, le=MAX_HOURLY_RATE_MINOR)
    min_duration_minutes: int = Field(None, ge=MIN_DURATION_MINUTES, le=MAX_DURATION_MINUTES)


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get("/categories", auth=None, response=list[CategoryOut], operation_id="category_list_api")
def category_list_api(request: HttpRequest):
    """Every category a service can be listed under."""
    return Category.objects.all()


@router.get("/services", auth=None, response={200: ServiceListOut, 422: ErrorOut}, operation_id="service_list_api")
def service_list_api(request: HttpRequest, filters: Query[ServiceFiltersIn]):
    """Search active services. With lat/lng each item has distance_km; with date only providers free that day."""
    # Answers are cached per query and catalog version, as JSON, ready to send.
    key = search_cache_key("api", list(request.GET.items()))
    body = search_cache_get(key)
    if body is None:
        page = service_search(SearchFilters(**filters.dict()))
        answer = {
            "items": page.items,
            "count": page.count,
            "more": page.more,
            "page": page.page,
            "page_size": page.page_size,
        }
        body = ServiceListOut.model_validate(answer).model_dump_json()
        search_cache_set(key, body)
    return HttpResponse(body, content_type="application/json")


@router.get(
    "/services/{service_id}", auth=None, response={200: ServiceOut, 404: ErrorOut}, operation_id="service_detail_api"
)
def service_detail_api(request: HttpRequest, service_id: UUID):
    """One active service."""
    return service_get_public(public_id=service_id)


@router.post("/services", response={201: ServiceOut, **ERRORS}, operation_id="service_create_api")
def service_create_api(request: HttpRequest, payload: ServiceIn):
    """Offer a new service (provider accounts only)."""
    service = service_create(provider=request.auth, data=ServiceData(**payload.dict()))
    return Status(201, service)


@router.patch("/services/{service_id}", response={200: ServiceOut, **ERRORS}, operation_id="service_update_api")
def service_update_api(request: HttpRequest, service_id: UUID, payload: ServicePatchIn):
    """Change some fields of one of your services; `{"is_active": false}` takes it off search."""
    service = service_get_for_owner(owner=request.auth, public_id=service_id)
    changes = payload.dict(exclude_unset=True)
    if "city" in changes and "latitude" not in changes:
        changes.update(latitude=None, longitude=None)  # a new city brings its own coordinates
    data = ServiceData(**{**_current_data(service), **changes})
    return service_update(service=service, actor=request.auth, data=data)


def _current_data(service: Service) -> dict:
    return {
        "title": service.title,
        "description": service.description,
        "category": service.category.slug,
        "price_minor": service.price_minor,
        "currency": service.currency,
        "duration_minutes": service.duration_minutes,
        "city": service.city,
        "latitude": service.latitude,
        "longitude": service.longitude,
        "is_active": service.is_active,
        "deposit_percent": service.deposit_percent,
        "balance_due_days": service.balance_due_days,
        "deposit_paid_early": service.deposit_paid_early,
        "pricing": service.pricing,
        "hourly_rate_minor": service.hourly_rate_minor,
        "min_duration_minutes": service.min_duration_minutes,
    }
