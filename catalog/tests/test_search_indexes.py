"""catalog.search_sql: the same answers on every database, and on PostgreSQL from the indexes."""

import pytest
from django.db import connection

from catalog import selectors
from catalog.models import Listing
from catalog.search_sql import nearest_first, on_postgresql, within_box, words_match
from catalog.selectors import SearchFilters, service_search
from catalog.tests.factories import CITIES, make_service
from conftest import make_user

pytestmark = pytest.mark.django_db

BERLIN = CITIES["berlin"]
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")


@pytest.fixture
def band(db):
    return make_user("band@example.com", "The Night Owls", role="provider")


def test_words_match_prefixes_of_every_word(band):
    make_service(band, title="Jazz trio for receptions", description="Standards and bossa nova.")
    make_service(band, title="Rock covers", description="Loud.")
    matched = Listing.objects.filter(words_match(["jaz", "bossa"]))
    assert [s.title for s in matched] == ["Jazz trio for receptions"]
    assert not Listing.objects.filter(words_match(["jazz", "loud"])).exists()
    assert Listing.objects.filter(words_match(["owl"])).count() == 2  # the provider's name


def test_radius_across_the_antimeridian(band):
    # Suva (Fiji) at 178.44 E; a search from 179.9 W is about 170 km away, across the date line.
    make_service(band, title="Island band", city="Suva, Fiji", latitude=-18.14161, longitude=178.44149)
    near = SearchFilters(lat=-18.0, lng=-179.9, radius_km=250)
    far = SearchFilters(lat=-18.0, lng=-179.9, radius_km=100)
    assert [s.title for s in service_search(near).items] == ["Island band"]
    assert service_search(far).count == 0


def test_within_box_is_a_superset_of_the_radius(band):
    potsdam = make_service(band, title="Potsdam band", city="Potsdam, Germany")
    make_service(band, title="Munich band", city="Munich, Germany")
    box = selectors._bounding_box(BERLIN[1], BERLIN[2], 40)
    inside = Listing.objects.filter(within_box(BERLIN[1], BERLIN[2], 40, box))
    assert [listing.service for listing in inside] == [potsdam]


def test_nearest_first_orders_by_great_circle_distance(band):
    for city in ("Munich, Germany", "Potsdam, Germany", "Hamburg, Germany", "Berlin, Germany"):
        make_service(band, title=city, city=city)
    qs = Listing.objects.annotate(distance_km=selectors._distance_km(BERLIN[1], BERLIN[2]))
    ordered = qs.order_by(nearest_first(BERLIN[1], BERLIN[2], qs.query.annotations["distance_km"]))
    assert [s.title for s in ordered] == ["Berlin, Germany", "Potsdam, Germany", "Hamburg, Germany", "Munich, Germany"]


def test_count_stops_at_the_limit_and_says_there_are_more(band, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 3)
    for i in range(5):
        make_service(band, title=f"Band number{i}")
    page = service_search(SearchFilters(page_size=2))
    assert (page.count, page.more, page.num_pages) == (3, True, 2)
    assert service_search(SearchFilters(page_size=2, page=2)).items
    exact = service_search(SearchFilters(q="number1"))
    assert (exact.count, exact.more) == (1, False)


def explain(qs) -> str:
    """The plan of a query on listings alone, with scans other than bitmap scans off (the tables
    here are tiny): an index whose expression matches the condition is then the plan."""
    with connection.cursor() as cursor:
        for plan in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{plan} = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgresql_only
def test_postgresql_answers_words_and_radius_from_the_search_indexes(band):
    assert on_postgresql()
    make_service(band, title="Jazz trio")
    assert "listing_search_document" in explain(Listing.objects.filter(words_match(["jazz", "tri"])))
    box = selectors._bounding_box(BERLIN[1], BERLIN[2], 25)
    assert "listing_earth" in explain(Listing.objects.filter(within_box(BERLIN[1], BERLIN[2], 25, box)))
    # Nearest-first walks the same index (nearest_cutoff) once a table is big enough for a top-N sort
    # to cost more, as EXPLAIN on the benchmark's catalogue shows; a handful of rows is always sorted.


def test_nearest_first_pages_stay_exact_past_the_count_limit(band, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 3)
    make_service(band, title="Berlin dear", price_minor=200000)
    make_service(band, title="Berlin cheap", price_minor=100000)  # same spot: the price decides
    for city in ("Munich, Germany", "Hamburg, Germany", "Potsdam, Germany"):
        make_service(band, title=city, city=city)
    asked = {"lat": BERLIN[1], "lng": BERLIN[2], "sort": "distance", "page_size": 2}
    first, second = (service_search(SearchFilters(**asked, page=page)) for page in (1, 2))
    assert first.more and first.count == 3
    expected = ["Berlin cheap", "Berlin dear", "Potsdam, Germany", "Hamburg, Germany"]
    assert [s.title for s in first.items + second.items] == expected


def test_relevance_past_the_count_limit_ranks_the_best_rated_matches(band, monkeypatch):
    from decimal import Decimal

    monkeypatch.setattr(selectors, "COUNT_LIMIT", 2)
    low = make_user("low@example.com", "Low Rated", role="provider")
    low.provider_profile.rating_avg = Decimal("1.00")
    low.provider_profile.save()
    band.provider_profile.rating_avg = Decimal("4.50")
    band.provider_profile.save()
    make_service(low, title="Swing band", description="Dance.")
    make_service(band, title="Dance evenings", description="A swing band.")
    make_service(band, title="Swing quartet", description="Dance.")
    page = service_search(SearchFilters(q="swing"))
    assert page.more and [s.title for s in page.items] == ["Swing quartet", "Dance evenings"]


@pytest.mark.parametrize("window", [2, 100], ids=["window-too-short", "window-holds-the-page"])
def test_words_sorted_by_price_past_the_count_limit_are_exact_whatever_the_window(
    band, monkeypatch, window, django_assert_num_queries
):
    # Painting workshops are the cheapest services: walking prices from the top meets them last.
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 3)
    monkeypatch.setattr(selectors, "WALK_WINDOW", window)
    for i in range(6):
        make_service(band, title=f"Band set {i}", price_minor=500000 + i * 1000)
    for i in range(4):
        make_service(band, title=f"Painting workshop {i}", price_minor=20000 + i * 1000)
    asked = SearchFilters(q="painting", sort="-price", page_size=2)
    # Three queries when the window holds the page; a fourth sorts every match when it does not
    # (elsewhere than PostgreSQL every match is always sorted).
    queries = 3 if window == 100 and on_postgresql() else (4 if on_postgresql() else 3)
    with django_assert_num_queries(queries):
        first = service_search(asked)
    second = service_search(SearchFilters(q="painting", sort="-price", page_size=2, page=2))
    assert first.more
    titles = [s.title for s in first.items + second.items]
    assert titles == [f"Painting workshop {i}" for i in (3, 2, 1, 0)]
