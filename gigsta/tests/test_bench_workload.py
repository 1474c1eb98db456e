from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import Service
from gigsta.management.commands.bench_workload import searches


def test_searches_are_distinct_reproducible_and_cover_every_filter():
    today = timezone.localdate()
    drawn = searches(seed=11, count=300, today=today)
    assert len({s.api_path() for s in drawn}) == 300
    assert [s.api_path() for s in drawn] == [s.api_path() for s in searches(seed=11, count=300, today=today)]
    asked = [parse_qs(urlsplit(s.api_path()).query) for s in drawn]
    for name in ("q", "category", "lat", "radius_km", "date", "max_price", "sort", "page"):
        assert any(name in query for query in asked), name
    assert {query["sort"][0] for query in asked if "sort" in query} == {"price", "-price", "rating", "distance"}
    assert all("lat" in query for query in asked if query.get("sort") == ["distance"])


def test_page_and_api_ask_the_same_question():
    search = next(s for s in searches(seed=3, count=50, today=timezone.localdate()) if s.city_label)
    page, api = parse_qs(urlsplit(search.page_path()).query), parse_qs(urlsplit(search.api_path()).query)
    assert page.pop("city") == [search.city_label]
    assert (api.pop("lat"), api.pop("lng")) == ([f"{search.lat:.5f}"], [f"{search.lng:.5f}"])
    assert page == api


@pytest.mark.django_db
def test_command_writes_the_four_lists(tmp_path):
    call_command("seed_demo", "--providers", "4", stdout=StringIO())
    call_command("bench_workload", tmp_path, "--count", "20", stdout=StringIO())
    lines = {name: (tmp_path / name).read_text().split() for name in ("search-page.txt", "search-api.txt")}
    assert len(lines["search-page.txt"]) == len(lines["search-api.txt"]) == 20
    services = (tmp_path / "service-page.txt").read_text().split()
    providers = (tmp_path / "provider-page.txt").read_text().split()
    active = Service.objects.filter(is_active=True).count()
    assert len(services) == len(set(services)) == min(20, active) and all(p.startswith("/services/") for p in services)
    assert len(providers) == 7 and all(p.startswith("/providers/") for p in providers)  # 4 + 3 demo providers
