"""`manage.py bench_workload DIR [--seed S] [--count N]`: the varied requests `make bench` sends.

Writes four files of paths, one a line, into DIR:

- `search-page.txt` and `search-api.txt`: N distinct searches (words and word prefixes from the
  demo data's vocabulary, categories, cities of the demo markets with and without a radius, free-
  that-day dates, price limits, every sort, pages 1-3), the same searches as the search page asks
  them (a city name) and as the API does (the city's coordinates), line for line;
- `service-page.txt` and `provider-page.txt`: N different active services and providers.

The searches depend only on the seed and today's date, so every catalogue size is asked the same
questions; the pages are drawn, with the same seed, from the catalogue in the database.
"""

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Role, User
from catalog.demo.data import ADJECTIVES, BAND_NOUNS, DJ_NAMES, EVENTS, OFFERS
from catalog.demo.plan import city_pool
from catalog.models import Service
from catalog.services import words_of

RADII = (10, 25, 50, 100, 250)
SORTS = (("relevance", 50), ("price", 15), ("-price", 10), ("rating", 15), ("distance", 10))
PAGES = ((1, 75), (2, 15), (3, 10))
KIND_WORDS = ("band", "dj", "photographer", "photography", "catering", "quartet", "trio", "singer", "sound", "mc")


@dataclass(frozen=True)
class Search:
    """One search, as both faces ask it."""

    params: tuple[tuple[str, str], ...]  # shared by both faces
    city_label: str = ""
    lat: float | None = None
    lng: float | None = None

    def page_path(self) -> str:
        extra = (("city", self.city_label),) if self.city_label else ()
        return "/search?" + urlencode(self.params + extra)

    def api_path(self) -> str:
        extra = (("lat", f"{self.lat:.5f}"), ("lng", f"{self.lng:.5f}")) if self.city_label else ()
        return "/api/services?" + urlencode(self.params + extra)


def vocabulary() -> list[str]:
    """Words listings are found by: the demo offers' styles and titles, provider name words, kinds, events."""
    words: set[str] = set(KIND_WORDS)
    for offer in OFFERS.values():
        for text in (*offer.styles, *offer.titles):
            words.update(w for w in words_of(text.replace("{style}", "").replace("{event}", "")) if len(w) > 2)
    for text in (*ADJECTIVES, *BAND_NOUNS, *DJ_NAMES, *EVENTS):
        words.update(w for w in words_of(text) if len(w) > 2)
    return sorted(words)


def _weighted(rng: random.Random, choices) -> str | int:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def search_draw(rng: random.Random, *, vocab: list[str], categories: list[str], pool, today: dt.date) -> Search:
    params: list[tuple[str, str]] = []
    if rng.random() < 0.65:
        chosen = rng.sample(vocab, 2 if rng.random() < 0.3 else 1)
        chosen = [w[: rng.randint(3, max(3, len(w) - 1))] if rng.random() < 0.25 else w for w in chosen]
        params.append(("q", " ".join(chosen)))
    if rng.random() < 0.4:
        params.append(("category", rng.choice(categories)))
    city = None
    if rng.random() < 0.6:
        city = rng.choices(pool.cities, cum_weights=pool.cum_weights)[0]
        if rng.random() < 0.75:
            params.append(("radius_km", str(rng.choice(RADII))))
    if rng.random() < 0.3:
        params.append(("date", (today + dt.timedelta(days=rng.randint(1, 60))).isoformat()))
    if rng.random() < 0.15:
        bound = rng.choice((100, 200, 300, 500, 1000, 2000))
        params.append(("max_price" if rng.random() < 0.7 else "min_price", str(bound)))
    sort = _weighted(rng, SORTS)
    if sort == "distance" and city is None:
        sort = "relevance"
    if sort != "relevance":
        params.append(("sort", sort))
    page = _weighted(rng, PAGES)
    if page > 1:
        params.append(("page", str(page)))
    if city is None:
        return Search(params=tuple(params))
    return Search(params=tuple(params), city_label=city.label, lat=city.latitude, lng=city.longitude)


def searches(*, seed: int, count: int, today: dt.date) -> list[Search]:
    """`count` distinct searches drawn with `seed`."""
    rng = random.Random(seed)  # noqa: S311 - a benchmark workload, not secrets
    vocab, categories, pool = vocabulary(), sorted(OFFERS), city_pool()
    found: dict[str, Search] = {}
    while len(found) < count:
        search = search_draw(rng, vocab=vocab, categories=categories, pool=pool, today=today)
        found.setdefault(search.api_path(), search)
    return list(found.values())


def sample_ids(rng: random.Random, pks: list[int], count: int) -> list[int]:
    return rng.sample(pks, min(count, len(pks)))


class Command(BaseCommand):
    help = "Write the varied searches, service pages and provider pages make bench sends, one path a line."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument("--count", type=int, default=1000)

    def handle(self, *args, directory: Path, seed: int, count: int, **options):
        if count < 1:
            raise CommandError("--count must be 1 or more.")
        directory.mkdir(parents=True, exist_ok=True)
        drawn = searches(seed=seed, count=count, today=timezone.localdate())
        rng = random.Random(seed)  # noqa: S311 - a benchmark workload, not secrets
        services = Service.objects.filter(is_active=True, provider__is_active=True)
        service_ids = sample_ids(rng, sorted(services.values_list("pk", flat=True)), count)
        providers = User.objects.filter(role=Role.PROVIDER, is_active=True)
        provider_ids = sample_ids(rng, sorted(providers.values_list("pk", flat=True)), count)
        if not service_ids or not provider_ids:
            raise CommandError("No active services or providers: run manage.py seed_demo first.")
        service_public = dict(Service.objects.filter(pk__in=service_ids).values_list("pk", "public_id"))
        provider_public = dict(User.objects.filter(pk__in=provider_ids).values_list("pk", "public_id"))
        files = {
            "search-page.txt": [s.page_path() for s in drawn],
            "search-api.txt": [s.api_path() for s in drawn],
            "service-page.txt": [f"/services/{service_public[pk]}/" for pk in service_ids],
            "provider-page.txt": [f"/providers/{provider_public[pk]}/" for pk in provider_ids],
        }
        for name, paths in files.items():
            (directory / name).write_text("\n".join(paths) + "\n")
        self.stdout.write(f"{len(drawn)} searches, {len(service_ids)} service and {len(provider_ids)} provider pages")
