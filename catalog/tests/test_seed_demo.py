import datetime as dt
import math
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ProviderProfile, Role, User
from catalog.demo.data import DEMO_PASSWORD, DEMO_USERS, SCALE_DOMAIN
from catalog.demo.plan import city_pool
from catalog.gazetteer import city_resolve
from catalog.models import BusyDay, Category, Listing, Service, ServiceKeyword
from catalog.search_sql import on_postgresql, words_match
from catalog.selectors import SearchFilters, service_search
from catalog.services import MAX_KEYWORDS, words_of

pytestmark = pytest.mark.django_db

DEMO_PROVIDERS = [email for email, _, role, _, _ in DEMO_USERS if role == Role.PROVIDER]


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def scale_providers():
    return User.objects.filter(email__endswith="@" + SCALE_DOMAIN)


def expected_words(service: Service) -> list[str]:
    text = " ".join([service.title, service.description, service.category.name, service.provider.display_name])
    return words_of(text)[:MAX_KEYWORDS]


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    dlat, dlng = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlng / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_demo_set_is_idempotent_and_prints_the_logins():
    first = seed()
    second = seed()

    assert User.objects.count() == len(DEMO_USERS)
    assert Service.objects.count() == 2 * len(DEMO_PROVIDERS)
    assert "5 new account(s), 6 new service(s)" in first
    assert "0 new account(s), 0 new service(s)" in second
    assert DEMO_PASSWORD in second
    for email, *_ in DEMO_USERS:
        assert email in second
        user = User.objects.get(email=email)
        assert check_password(DEMO_PASSWORD, user.password)
        assert EmailAddress.objects.filter(user=user, email=email, verified=True, primary=True).exists()


def test_demo_services_come_with_drawn_pictures_and_a_cover(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed()
    for service in Service.objects.filter(provider__email__in=DEMO_PROVIDERS):
        photos = list(service.photos.all())
        assert len(photos) == 2 and service.cover_id == photos[0].pk
        assert all(p.alt.startswith("Demo picture") and p.width == 1280 for p in photos)
    stored = len(list(tmp_path.rglob("*.jpg")))
    seed()  # nothing drawn twice
    assert len(list(tmp_path.rglob("*.jpg"))) == stored == 4 * 2 * Service.objects.count()


def test_demo_providers_have_services_in_their_cities_that_search_finds():
    seed()

    for email in DEMO_PROVIDERS:
        provider = User.objects.get(email=email)
        services = list(provider.services.all())
        assert len(services) == 2
        assert {s.city for s in services} == {provider.provider_profile.city}
        assert all(s.currency == "EUR" and s.country_code == "DE" for s in services)

    berlin = city_resolve("Berlin, Germany")
    page = service_search(SearchFilters(q="wedding dj", lat=berlin.latitude, lng=berlin.longitude, radius_km=50))
    assert [s.title for s in page.items] == ["Wedding DJ with sound system and lights"]
    assert service_search(SearchFilters(q="funk band", category="live-music")).count == 1
    assert service_search(SearchFilters(q="mira photography")).count == 2


def test_demo_services_are_not_added_twice_when_a_provider_already_has_some():
    seed()
    band = User.objects.get(email="band@demo.gigsta.local")
    band.services.first().delete()

    seed()

    assert band.services.count() == 1


def test_providers_option_creates_numbered_providers_with_indexed_services():
    output = seed(providers=30)

    providers = list(scale_providers().select_related("provider_profile").order_by("email"))
    assert [p.email for p in providers] == [f"provider{n:05d}@{SCALE_DOMAIN}" for n in range(1, 31)]
    assert "30/30 providers (100.0 %)" in output
    assert "30 new provider(s)" in output
    assert all(p.role == Role.PROVIDER and p.display_name for p in providers)
    assert len({p.password for p in providers}) == 1  # one hash, shared
    assert check_password(DEMO_PASSWORD, providers[0].password)
    assert EmailAddress.objects.filter(user__in=providers, verified=True).count() == 30

    services = list(Service.objects.filter(provider__in=providers).select_related("category", "provider"))
    assert 75 <= len(services) <= 105  # about three each
    per_provider = {p.pk: 0 for p in providers}
    for service in services:
        per_provider[service.provider_id] += 1
    assert set(per_provider.values()) <= {2, 3, 4}

    keywords: dict[int, set[str]] = {}
    for service_id, word in ServiceKeyword.objects.filter(service__in=services).values_list("service_id", "word"):
        keywords.setdefault(service_id, set()).add(word)
    for service in services:
        words = expected_words(service)
        assert service.search_text == " ".join(words)
        # The portable word index; PostgreSQL finds words through the listing instead.
        assert keywords.get(service.pk, set()) == (set() if on_postgresql() else set(words))
    assert set(Listing.objects.filter(service__in=services).values_list("pk", flat=True)) == {s.pk for s in services}
    for service in services[:10]:  # each is found by its own words
        assert service.pk in Listing.objects.filter(words_match(expected_words(service)[:4])).values_list(
            "pk", flat=True
        )


def test_scale_services_are_realistic():
    seed(providers=30)
    pool = city_pool()
    cities = {c.label: c for c in pool.cities}
    slugs = set(Category.objects.values_list("slug", flat=True))

    profiles = ProviderProfile.objects.filter(user__in=scale_providers())
    assert profiles.count() == 30
    for profile in profiles:
        assert profile.city in cities
        assert profile.bio
        assert 0 <= profile.rating_count <= 80
        assert profile.rating_count == 0 or 3.5 <= profile.rating_avg <= 5

    for service in Service.objects.filter(provider__in=scale_providers()).select_related("category"):
        city = cities[service.city]
        assert service.category.slug in slugs
        assert service.title and len(service.description) > 50
        assert 15000 <= service.price_minor <= 500000
        assert service.currency in {"EUR", pool.currencies[city.country_code]}
        assert 60 <= service.duration_minutes <= 480
        assert (service.country_code, service.timezone) == (city.country_code, city.timezone)
        assert distance_km(service.latitude, service.longitude, city.latitude, city.longitude) <= 7
        assert service.is_active

    today = timezone.localdate()
    for day in BusyDay.objects.filter(provider__in=scale_providers()):
        assert day.kind == BusyDay.Kind.BLOCKED
        assert today < day.date <= today + dt.timedelta(days=60)


def test_rerun_with_the_same_size_creates_nothing():
    seed(providers=30)
    counts = (User.objects.count(), Service.objects.count(), ServiceKeyword.objects.count(), BusyDay.objects.count())

    output = seed(providers=30)

    assert "0 new provider(s)" in output
    assert counts == (
        User.objects.count(),
        Service.objects.count(),
        ServiceKeyword.objects.count(),
        BusyDay.objects.count(),
    )


def test_a_larger_size_adds_only_the_missing_providers():
    seed(providers=30)
    before = set(scale_providers().values_list("pk", flat=True))
    services_before = Service.objects.count()

    output = seed(providers=40)

    assert "10 new provider(s)" in output
    after = set(scale_providers().values_list("pk", flat=True))
    assert before < after
    assert len(after) == 40
    added = scale_providers().exclude(pk__in=before)
    assert sorted(added.values_list("email", flat=True)) == [f"provider{n:05d}@{SCALE_DOMAIN}" for n in range(31, 41)]
    assert Service.objects.count() - services_before == Service.objects.filter(provider__in=added).count() >= 20


def test_the_same_seed_gives_the_same_catalogue():
    def snapshot():
        return sorted(
            Service.objects.filter(provider__in=scale_providers()).values_list(
                "provider__email", "provider__display_name", "title", "price_minor", "city", "latitude"
            )
        )

    seed(providers=12)
    first = snapshot()
    scale_providers().delete()

    seed(providers=12)

    assert snapshot() == first
    seed(providers=12, seed=7)  # nothing missing: another seed changes nothing either
    assert snapshot() == first


def test_scale_data_is_searchable():
    seed(providers=30)
    service = Service.objects.filter(provider__in=scale_providers()).select_related("category").first()
    word = expected_words(service)[0]

    page = service_search(
        SearchFilters(q=word, category=service.category.slug, lat=service.latitude, lng=service.longitude, radius_km=1)
    )

    assert service in page.items


def test_scale_seeding_invalidates_cached_search_answers():
    from catalog.cache import catalog_version

    seed()
    before = catalog_version()

    seed(providers=3)

    assert catalog_version() > before
