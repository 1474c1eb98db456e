"""The writes of demo and scale data.

The demo accounts go through the catalog's services one by one; the numbered providers, planned
by catalog.demo.plan, are inserted in bulk with everything they own, a chunk to a transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import ProviderProfile, Role, User
from catalog.cache import catalog_changed
from catalog.demo.data import DEMO_PASSWORD, DEMO_SERVICES, DEMO_USERS, OFFERS, SCALE_DOMAIN
from catalog.demo.pictures import demo_picture, demo_picture_alt
from catalog.demo.plan import SCALE_EMAIL_RE, ProviderPlan, city_pool, plan_provider
from catalog.models import BusyDay, Category, Service, ServiceKeyword
from catalog.photos import service_photo_set_alt, service_photos_add
from catalog.search_sql import on_postgresql
from catalog.services import listings_refresh, search_words_of, service_create

CHUNK_PROVIDERS = 500  # providers written per transaction
BATCH_SIZE = 2000  # rows per INSERT


@transaction.atomic
def demo_accounts_write() -> tuple[int, int]:
    """Create the missing demo accounts, and services for demo providers that have none.

    Returns how many accounts and services were created.
    """
    created_users = created_services = 0
    for email, display_name, role, city, bio in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, display_name=display_name, role=role)
            created_users += 1
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
        if role == Role.PROVIDER:
            instructions = f"Bank transfer to {display_name}, IBAN DE89 3704 0044 0532 0130 00 (demo account)."
            ProviderProfile.objects.update_or_create(
                user=user, defaults={"city": city, "bio": bio, "payment_instructions": instructions}
            )
            if not Service.objects.filter(provider=user).exists():
                for data in DEMO_SERVICES.get(email, []):
                    service = service_create(provider=user, data=data)
                    _demo_pictures_add(service, seed=created_services)
                    created_services += 1
    return created_users, created_services


DEMO_PICTURES_PER_SERVICE = 2


def _demo_pictures_add(service: Service, *, seed: int) -> None:
    """Give a new demo service drawn pictures (catalog.demo.pictures), the first its cover."""
    uploads = [
        demo_picture(category=service.category.slug, seed=seed * 10 + n) for n in range(DEMO_PICTURES_PER_SERVICE)
    ]
    photos = service_photos_add(service=service, actor=service.provider, uploads=uploads)
    for n, photo in enumerate(photos, start=1):
        service_photo_set_alt(photo=photo, actor=service.provider, alt=demo_picture_alt(n))


@dataclass
class Counts:
    """What a run of scale data created."""

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
    # The portable word index; PostgreSQL finds words through the listing's tsvector instead.
    keywords = [
        ServiceKeyword(service_id=service.pk, word=word)
        for service, words in zip(services, service_words, strict=True)
        for word in words
        if not on_postgresql()
    ]
    ServiceKeyword.objects.bulk_create(keywords, batch_size=BATCH_SIZE)
    listings_refresh(services=Service.objects.filter(provider_id__in=[u.pk for u in users]))
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


def scale_numbers_present() -> set[int]:
    """The numbers of the numbered providers already in the database."""
    existing = set()
    for email in User.objects.filter(email__endswith="@" + SCALE_DOMAIN).values_list("email", flat=True):
        match = SCALE_EMAIL_RE.match(email)
        if match:
            existing.add(int(match.group(1)))
    return existing


def scale_providers_write(*, numbers: list[int], seed: int, on_chunk: Callable[[int], None]) -> Counts:
    """Plan and insert the numbered providers `numbers`, a chunk to a transaction, and count them.

    `on_chunk` is told after each chunk commits how many providers have been written so far.
    """
    counts = Counts()
    pool = city_pool()
    categories = {c.slug: c for c in Category.objects.all()}
    absent = sorted(set(OFFERS) - set(categories))
    if absent:
        raise CommandError(f"Missing categories {', '.join(absent)}: run manage.py migrate first.")
    password = make_password(DEMO_PASSWORD)  # one hash, shared by every numbered provider
    today = timezone.localdate()
    for start in range(0, len(numbers), CHUNK_PROVIDERS):
        chunk = numbers[start : start + CHUNK_PROVIDERS]
        plans = [plan_provider(seed=seed, number=n, pool=pool, today=today) for n in chunk]
        with transaction.atomic():
            _write_chunk(plans, password=password, categories=categories, counts=counts)
        on_chunk(counts.providers)
    catalog_changed()  # cached search answers no longer hold
    return counts
