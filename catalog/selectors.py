"""Reads for the catalog: search, service and provider look-ups shaped for pages and the API."""

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field

from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import ASin, Cos, Power, Radians, Sin, Sqrt
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, User
from calendars.models import AvailabilityRules, DateOverride, WeeklyHours
from catalog.models import MAX_PRICE_MINOR, BusyDay, Category, Listing, ProviderPhoto, Service, ServicePhoto
from catalog.search_sql import first_ids, nearest_cutoff, nearest_first, page_in_window, within_box, words_match
from catalog.services import words_of

EARTH_RADIUS_KM = 6371.0088
MAX_RADIUS_KM = 500
MAX_QUERY_WORDS = 6
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000  # far past any real result; keeps OFFSET within what databases accept
SORTS = ("relevance", "price", "-price", "distance", "rating")
# Searches count their matches up to this many and then say "more": an exact count of a broad
# search would read every matching row, however few of them anyone pages through.
COUNT_LIMIT = 1000
CATEGORIES_KEY = "catalog:categories"
CATEGORIES_CACHE_SECONDS = 60
# How many rows, in the asked order, a search with words and many matches reads for each 20
# results up to its page before it sorts every match instead (see service_search).
WALK_WINDOW = 2000


@dataclass(frozen=True)
class SearchFilters:
    """A validated search. Forms and API schemas both build one; `search_validate` checks it."""

    q: str = ""
    category: str = ""
    min_price: int | None = None
    max_price: int | None = None
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None
    date: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20


@dataclass
class SearchPage:
    items: list[Service]
    count: int
    page: int
    page_size: int
    filters: SearchFilters
    category: Category | None = None
    more: bool = False  # more than `count` matched: the count stopped at COUNT_LIMIT
    relaxations: list[str] = field(default_factory=list)

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def categories_all() -> list[Category]:
    """Every category, in order, from this process's memory for up to CATEGORIES_CACHE_SECONDS:
    every search and its form read them, and staff change them rarely (a change shows within that
    time)."""
    categories = caches["local"].get(CATEGORIES_KEY)
    if categories is None:
        categories = list(Category.objects.all())
        caches["local"].set(CATEGORIES_KEY, categories, timeout=CATEGORIES_CACHE_SECONDS)
    return categories


def search_validate(filters: SearchFilters) -> Category | None:
    """Raise ValidationError naming each bad field; return the category, if one was asked for."""
    errors: dict[str, list[str]] = {}
    category = None
    if filters.category:
        category = next((c for c in categories_all() if c.slug == filters.category), None)
        if category is None:
            errors["category"] = [f"Unknown category {filters.category!r}."]
    for name in ("min_price", "max_price"):
        value = getattr(filters, name)
        if value is not None and not 0 <= value <= MAX_PRICE_MINOR:
            errors[name] = [f"Enter an amount between 0 and {MAX_PRICE_MINOR} (minor units)."]
    if (
        filters.min_price is not None
        and filters.max_price is not None
        and filters.min_price > filters.max_price
        and "max_price" not in errors
    ):
        errors["max_price"] = ["The maximum price is below the minimum."]
    if filters.lat is not None and not -90 <= filters.lat <= 90:
        errors["lat"] = ["Latitude must be between -90 and 90."]
    if filters.lng is not None and not -180 <= filters.lng <= 180:
        errors["lng"] = ["Longitude must be between -180 and 180."]
    if (filters.lat is None) != (filters.lng is None):
        errors.setdefault("lng" if filters.lng is None else "lat", ["Send both lat and lng."])
    if filters.radius_km is not None:
        if filters.lat is None or filters.lng is None:
            errors["radius_km"] = ["A radius needs a location (lat and lng, or a city)."]
        elif not 0 < filters.radius_km <= MAX_RADIUS_KM:
            errors["radius_km"] = [f"Radius must be more than 0 and at most {MAX_RADIUS_KM} km."]
    if filters.date is not None and filters.date < timezone.localdate():
        errors["date"] = ["Pick today or a later date."]
    if filters.sort not in SORTS:
        errors["sort"] = [f"Sort by one of: {', '.join(SORTS)}."]
    elif filters.sort == "distance" and filters.lat is None:
        errors["sort"] = ["Sorting by distance needs a location."]
    if not 1 <= filters.page <= MAX_PAGE:
        errors["page"] = [f"Pages go from 1 to {MAX_PAGE:,}."]
    if not 1 <= filters.page_size <= MAX_PAGE_SIZE:
        errors["page_size"] = [f"Page size must be between 1 and {MAX_PAGE_SIZE}."]
    if errors:
        raise ValidationError(errors)
    return category


def _distance_km(lat: float, lng: float):
    """Haversine distance from (lat, lng) to each row, with functions SQLite and PostgreSQL share."""
    dlat = Radians(F("latitude") - Value(lat)) / 2
    dlng = Radians(F("longitude") - Value(lng)) / 2
    a = Power(Sin(dlat), 2) + Cos(Value(math.radians(lat))) * Cos(Radians(F("latitude"))) * Power(Sin(dlng), 2)
    return Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(a))


def _bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float] | None:
    """(min_lat, max_lat, min_lng, max_lng) around a point; None where it wraps a pole or the antimeridian."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat < -90 or max_lat > 90:
        return None
    dlng = math.degrees(radius_km / EARTH_RADIUS_KM / math.cos(math.radians(lat)))
    min_lng, max_lng = lng - dlng, lng + dlng
    if min_lng < -180 or max_lng > 180:
        return None
    return min_lat, max_lat, min_lng, max_lng


# Days no gig fits, whatever the hours: blocked by the provider, or filled by their own calendar.
WHOLE_DAY_BUSY = (BusyDay.Kind.BLOCKED, BusyDay.Kind.IMPORTED)


def busy_on(date: dt.date, *, now: dt.datetime | None = None) -> Q:
    """True for rows whose provider cannot take a booking that day, by the rules
    calendars.availability applies to times, asked of the whole day:
    - a day they blocked (catalog.BusyDay, kind blocked) or their own calendar fills (kind imported);
    - a day their gigs fill (BusyDay rows of kind booking): as many as their maximum of gigs a day,
      or one when they have set no rules (a booked day is busy, as it always was);
    - a date off, or a weekday without working hours once they have set some;
    - a day too soon for their minimum notice.
    Index-friendly subqueries on (provider, date) and (provider, weekday), in the search's one query."""
    provider = OuterRef("provider_id")
    now = now or timezone.now()
    day_ends = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=timezone.get_current_timezone())
    hours_left = math.floor((day_ends - now).total_seconds() / 3600)
    booked = BusyDay.objects.filter(provider_id=provider, date=date, kind=BusyDay.Kind.BOOKING)
    gigs_that_day = (
        BusyDay.objects.filter(provider_id=OuterRef("provider_id"), date=date, kind=BusyDay.Kind.BOOKING)
        .values("provider_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    room_for_more = AvailabilityRules.objects.filter(provider_id=provider).filter(
        Q(max_gigs_per_day__isnull=True) | Q(max_gigs_per_day__gt=Subquery(gigs_that_day))
    )
    hours_that_day = Exists(WeeklyHours.objects.filter(provider_id=provider, weekday=date.weekday())) | Exists(
        DateOverride.objects.filter(provider_id=provider, date=date, starts__isnull=False)
    )
    return (
        Exists(BusyDay.objects.filter(provider_id=provider, date=date, kind__in=WHOLE_DAY_BUSY))
        | (Exists(booked) & ~Exists(room_for_more))
        | Exists(DateOverride.objects.filter(provider_id=provider, date=date, starts__isnull=True))
        | (Exists(WeeklyHours.objects.filter(provider_id=provider)) & ~hours_that_day)
        | Exists(
            AvailabilityRules.objects.filter(
                provider_id=provider, min_notice_hours__gt=0, min_notice_hours__gte=hours_left
            )
        )
    )


def service_search(filters: SearchFilters) -> SearchPage:
    """Listed services matching the filters, one page of them, in the asked order. Three queries,
    all but the last on the narrow listing table (catalog.models.Listing): the ids of up to
    COUNT_LIMIT + 1 matches, which counts them; the page's ids in order; the page's services.

    The count stops at COUNT_LIMIT (then `more` is set), so only that many pages can be reached;
    ranked by relevance, those are the COUNT_LIMIT best-rated matches, title matches first."""
    category = search_validate(filters)
    qs = Listing.objects.all()

    words = words_of(filters.q)[:MAX_QUERY_WORDS]
    if category is not None:
        qs = qs.filter(category=category)
    if filters.min_price is not None:
        qs = qs.filter(price_minor__gte=filters.min_price)
    if filters.max_price is not None:
        qs = qs.filter(price_minor__lte=filters.max_price)
    located = filters.lat is not None and filters.lng is not None
    if located:
        qs = qs.annotate(distance_km=_distance_km(filters.lat, filters.lng))
        if filters.radius_km is not None:
            box = _bounding_box(filters.lat, filters.lng, filters.radius_km)
            qs = qs.filter(within_box(filters.lat, filters.lng, filters.radius_km, box))
            qs = qs.filter(distance_km__lte=filters.radius_km)
    if filters.date is not None:
        qs = qs.exclude(busy_on(filters.date))
    unworded = qs
    if words:
        qs = qs.filter(words_match(words))

    # The first query reads the ids of up to COUNT_LIMIT + 1 matches, in no order: that counts
    # them and, when that is all of them, the page sorts just these instead of searching again.
    # Past COUNT_LIMIT the matches are many, and walking an index in the asked order finds a
    # page's worth of them after a short walk.
    ids = first_ids(qs, COUNT_LIMIT + 1)
    more = len(ids) > COUNT_LIMIT
    count = min(len(ids), COUNT_LIMIT)
    if not more:
        qs = Listing.objects.filter(pk__in=ids).annotate(**qs.query.annotations)
    page = filters.page
    if count and (page - 1) * filters.page_size >= count:
        num_pages = math.ceil(count / filters.page_size)
        raise ValidationError({"page": [f"There are only {num_pages} page(s) of results."]})

    best_rated = [F("rating_avg").desc(), F("rating_count").desc(), F("created_at").desc()]
    # Few matches are sorted as they are; many are walked nearest first on the place index.
    nearest = (
        (nearest_first(filters.lat, filters.lng, F("distance_km")) if more else F("distance_km").asc())
        if located
        else None
    )
    order = {
        "price": [F("price_minor").asc(), F("created_at").desc()],
        "-price": [F("price_minor").desc(), F("created_at").desc()],
        "distance": [nearest, F("price_minor").asc()],
        "rating": best_rated,
    }.get(filters.sort)
    if order is None:  # relevance: titles that contain the words first, then the best rated
        if words:
            if more:  # rank the COUNT_LIMIT best-rated matches, not every match of a common word
                pool = qs.order_by(*best_rated, "pk").values("pk")[:COUNT_LIMIT]
                qs = Listing.objects.filter(pk__in=pool).annotate(**qs.query.annotations)
            qs = qs.annotate(
                title_hits=sum(
                    (
                        Case(When(title__icontains=w, then=Value(1)), default=Value(0), output_field=IntegerField())
                        for w in words
                    ),
                    Value(0, output_field=IntegerField()),
                )
            )
            order = ["-title_hits", *best_rated]
        elif located:
            order = [nearest, *best_rated]
        else:
            order = best_rated
    start = (page - 1) * filters.page_size
    if order[0] is nearest and more:
        qs = qs.filter(nearest_cutoff(qs, filters.lat, filters.lng, start + filters.page_size))
    fields = ["pk", "distance_km"] if located else ["pk", "pk"]
    found = None
    if words and more and filters.sort in ("price", "-price", "rating"):
        # Many matches: the first rows in the asked order likely hold a page of them. But the words
        # of a service say much about its price (painting workshops are cheap), so the page is
        # looked for among a bounded window of that order only; when the window holds no full
        # page, every match is found first and sorted ("+ 0" keeps the planner off the walk).
        window = WALK_WINDOW * math.ceil((start + filters.page_size) / 20)
        found = page_in_window(unworded, words_match(words), order, fields, start, filters.page_size, window)
        if found is None:
            order = _sorted_as_found(order)
    elif not more:  # a thousand rows at most, read by key: sort them rather than walk an index for them
        order = _sorted_as_found(order)
    if found is None:
        found = list(qs.order_by(*order, "pk").values_list(*fields)[start : start + filters.page_size])
    services = (  # the cover comes in the same query: a card shows it without another
        Service.objects.select_related("category", "provider", "provider__provider_profile", "cover")
        .defer("search_text")
        .in_bulk([pk for pk, _ in found])
    )
    items = []
    for pk, distance_km in found:
        if (service := services.get(pk)) is not None:  # a service deleted since its listing was read
            if located:
                service.distance_km = distance_km
            items.append(service)
    result = SearchPage(
        items=items,
        count=count,
        page=page,
        page_size=filters.page_size,
        filters=filters,
        category=category,
        more=more,
    )
    if not count:
        result.relaxations = _relaxations(filters)
    return result


def _sorted_as_found(order: list) -> list:
    """The same order with its first column hidden from the planner ("+ 0"), so that it sorts the
    rows it found instead of walking that column's index in order and testing every row."""
    first = order[0]
    if isinstance(first, OrderBy) and isinstance(first.expression, F):
        return [OrderBy(first.expression + Value(0), descending=first.descending), *order[1:]]
    return order


def _relaxations(filters: SearchFilters) -> list[str]:
    """What to loosen when nothing matched, in the order most likely to help."""
    tips = []
    if filters.date:
        tips.append("try another date: everyone matching may be booked that day")
    if filters.radius_km:
        tips.append(f"widen the distance beyond {filters.radius_km:g} km")
    if filters.max_price is not None or filters.min_price is not None:
        tips.append("widen the price range")
    if filters.category:
        tips.append("search all categories")
    if filters.q:
        tips.append("use fewer or shorter words")
    return tips


def service_get_public(*, public_id) -> Service:
    """An active service anyone may see."""
    service = (
        Service.objects.select_related("category", "provider", "provider__provider_profile", "cover")
        .filter(public_id=public_id, is_active=True, provider__is_active=True)
        .first()
    )
    if service is None:
        raise Http404("No such service.")
    return service


def service_get_for_owner(*, owner: User, public_id) -> Service:
    """A service of this provider, active or not; anyone else's is simply not found."""
    service = Service.objects.select_related("category", "cover").filter(public_id=public_id, provider=owner).first()
    if service is None:
        raise Http404("No such service.")
    return service


def service_list_for_owner(*, owner: User) -> QuerySet[Service]:
    return Service.objects.filter(provider=owner).select_related("category").order_by("-is_active", "title")


def provider_get_public(*, public_id) -> User:
    provider = (
        User.objects.select_related("provider_profile")
        .filter(public_id=public_id, role=Role.PROVIDER, is_active=True)
        .first()
    )
    if provider is None:
        raise Http404("No such provider.")
    return provider


def busy_days_for_provider(*, provider: User, start: dt.date, days: int) -> set[dt.date]:
    """The days from `start` on that search would not show the provider free (busy_on, asked of
    each day): blocked, filled with gigs, off, or without working hours. Two queries: the days'
    marks (busy days and date overrides in one list) and the provider's rules and weekdays."""
    end = start + dt.timedelta(days=days)
    off_or_open = Case(When(starts__isnull=True, then=Value("off")), default=Value("open"), output_field=CharField())
    marks = (
        BusyDay.objects.filter(provider=provider, date__gte=start, date__lt=end)
        .order_by()
        .values_list("date", "kind")
        .union(
            DateOverride.objects.filter(provider=provider, date__gte=start, date__lt=end)
            .order_by()
            .annotate(mark=off_or_open)
            .values_list("date", "mark"),
            all=True,
        )
    )
    mine = OuterRef("pk")
    rules = AvailabilityRules.objects.filter(provider_id=mine)
    week = (
        User.objects.filter(pk=provider.pk)
        .annotate(
            has_rules=Exists(rules),
            most=Subquery(rules.values("max_gigs_per_day")[:1]),
            **{f"day{d}": Exists(WeeklyHours.objects.filter(provider_id=mine, weekday=d)) for d in range(7)},
        )
        .values("has_rules", "most", *(f"day{d}" for d in range(7)))
        .get()
    )
    most = week["most"] if week["has_rules"] else 1  # no rules: a booked day is busy; a maximum of None: no limit
    weekdays = {d for d in range(7) if week[f"day{d}"]}
    blocked, gigs, overrides = set(), Counter(), {}
    for date, mark in marks:
        if mark in WHOLE_DAY_BUSY:
            blocked.add(date)
        elif mark == BusyDay.Kind.BOOKING:
            gigs[date] += 1
        else:  # a date with its own hours ("open") or none ("off")
            overrides[date] = overrides.get(date, False) or mark == "open"
    full = {date for date, n in gigs.items() if most is not None and n >= most}
    all_days = [start + dt.timedelta(days=i) for i in range(days)]
    no_hours = {
        day
        for day in all_days
        if (not overrides[day] if day in overrides else bool(weekdays) and day.weekday() not in weekdays)
    }
    return blocked | full | no_hours


def blocked_days_for_provider(*, provider: User) -> QuerySet[BusyDay]:
    """Upcoming dates the provider blocked by hand (bookings are shown elsewhere)."""
    return BusyDay.objects.filter(provider=provider, kind=BusyDay.Kind.BLOCKED, date__gte=timezone.localdate())


def service_photo_get_for_owner(*, owner: User, service_id, photo_id) -> ServicePhoto:
    """A photo of one of this provider's services; anyone else's is simply not found."""
    photo = (
        ServicePhoto.objects.select_related("service")
        .filter(public_id=photo_id, service__public_id=service_id, service__provider=owner)
        .first()
    )
    if photo is None:
        raise Http404("No such photo.")
    return photo


@dataclass(frozen=True)
class GalleryPhoto:
    """One photo as a gallery page shows it, whoever's it is."""

    src: str
    srcset: str
    width: int
    height: int
    thumbnail: str
    alt: str


def gallery_of_service(service: Service) -> list[GalleryPhoto]:
    """The service's photos in their order (one query)."""
    return [
        GalleryPhoto(
            src=p.large.url,
            srcset=p.srcset,
            width=p.width,
            height=p.height,
            thumbnail=p.thumbnail.url,
            alt=p.alt or f"Photo {n} of {service.title}",
        )
        for n, p in enumerate(service.photos.all(), start=1)
    ]


def gallery_of_provider(provider: User) -> list[GalleryPhoto]:
    """The provider's profile photos in their order (one query)."""
    photos: list[ProviderPhoto] = list(provider.photos.all())
    return [
        GalleryPhoto(
            src=p.image.url,
            srcset="",
            width=p.width,
            height=p.height,
            thumbnail=p.thumbnail.url,
            alt=f"Photo {n} of {provider.display_name}",
        )
        for n, p in enumerate(photos, start=1)
    ]
