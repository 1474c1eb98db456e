"""`manage.py seed_demo [--providers N] [--seed S]`: demo accounts and scale data, see catalog.demo."""

import time
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import ProviderProfile, Role, User
from catalog.cache import catalog_changed
from catalog.demo.data import DEMO_PASSWORD, DEMO_SERVICES, DEMO_USERS, OFFERS, SCALE_DOMAIN
from catalog.demo.plan import SCALE_EMAIL_RE, ProviderPlan, city_pool, plan_provider
from catalog.models import BusyDay, Category, Service, ServiceKeyword
from catalog.services import search_words_of, service_create

CHUNK_PROVIDERS = 500  # providers written per transaction
BATCH_SIZE = 2000  # rows per INSERT


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
