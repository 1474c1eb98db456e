"""service_search: every filter alone and combined, orderings, pagination, availability."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import user_set_active
from accounts.tests.factories import make_user
from catalog.selectors import SearchFilters, service_search
from catalog.services import busy_day_block, service_set_active
from catalog.tests.factories import CITIES, make_service

pytestmark = pytest.mark.django_db

BERLIN = CITIES["berlin"]


@pytest.fixture
def cast(db):
    """Three providers, five services in Berlin, Potsdam, Hamburg and Munich."""
    band = make_user("band@example.com", "The Night Owls", role="provider")
    dj = make_user("dj@example.com", "DJ Nova", role="provider")
    photo = make_user("photo@example.com", "Mira Lens", role="provider")
    band.provider_profile.rating_avg, band.provider_profile.rating_count = Decimal("4.90"), 20
    band.provider_profile.save()
    dj.provider_profile.rating_avg, dj.provider_profile.rating_count = Decimal("4.20"), 5
    dj.provider_profile.save()
    services = {
        "band_berlin": make_service(band, title="Soul band for weddings", price_minor=250000, city="Berlin, Germany"),
        "band_hamburg": make_service(band, title="Funk band, late night", price_minor=300000, city="Hamburg, Germany"),
        "dj_potsdam": make_service(
            dj,
            title="Wedding DJ",
            category="dj",
            price_minor=90000,
            city="Potsdam, Germany",
            description="House and disco for the dance floor.",
        ),
        "dj_munich": make_service(dj, title="Club DJ", category="dj", price_minor=120000, city="Munich, Germany"),
        "photo_berlin": make_service(
            photo,
            title="Wedding photography",
            category="photography",
            price_minor=180000,
            city="Berlin, Germany",
        ),
    }
    return {"band": band, "dj": dj, "photo": photo, **services}


def titles(filters: SearchFilters) -> list[str]:
    return [s.title for s in service_search(filters).items]


def test_no_filters_lists_every_active_service_best_rated_first(cast):
    page = service_search(SearchFilters())
    assert page.count == 5
    assert [s.provider.display_name for s in page.items][:2] == ["The Night Owls", "The Night Owls"]


def test_text_matches_word_prefixes_in_title_description_category_and_provider(cast):
    assert set(titles(SearchFilters(q="wedd"))) == {"Soul band for weddings", "Wedding DJ", "Wedding photography"}
    assert titles(SearchFilters(q="disco")) == ["Wedding DJ"]  # description
    assert set(titles(SearchFilters(q="photography"))) == {"Wedding photography"}  # category name too
    assert set(titles(SearchFilters(q="owls"))) == {"Soul band for weddings", "Funk band, late night"}  # provider
    assert titles(SearchFilters(q="wedding dj")) == ["Wedding DJ"]  # every word must match
    assert titles(SearchFilters(q="WEDDING   Dj!!")) == ["Wedding DJ"]  # case and punctuation ignored
    assert titles(SearchFilters(q="accordion")) == []


def test_relevance_puts_title_matches_first(cast):
    crashers = make_user("crash@example.com", "Wedding Crashers", role="provider")
    crashers.provider_profile.rating_avg, crashers.provider_profile.rating_count = Decimal("5.00"), 99
    crashers.provider_profile.save()
    make_service(crashers, title="Party covers", category="dj", description="Anything goes.")
    found = titles(SearchFilters(q="wedding", category="dj"))
    assert found == ["Wedding DJ", "Party covers"]  # a title match beats a better-rated name match


def test_category_filter(cast):
    assert set(titles(SearchFilters(category="dj"))) == {"Wedding DJ", "Club DJ"}


def test_unknown_category_is_a_field_error(cast):
    with pytest.raises(ValidationError) as exc:
        service_search(SearchFilters(category="knitting"))
    assert "category" in exc.value.message_dict


def test_price_range_in_minor_units(cast):
    assert set(titles(SearchFilters(min_price=100000, max_price=200000))) == {"Club DJ", "Wedding photography"}
    assert titles(SearchFilters(max_price=90000)) == ["Wedding DJ"]
    assert len(titles(SearchFilters(min_price=250000))) == 2


def test_location_and_radius_with_distance_order(cast):
    page = service_search(SearchFilters(lat=BERLIN[1], lng=BERLIN[2], radius_km=50, sort="distance"))
    assert [s.title for s in page.items][-1] == "Wedding DJ"  # Potsdam, ~27 km
    assert page.count == 3
    distances = [s.distance_km for s in page.items]
    assert distances == sorted(distances)
    assert distances[0] < 1 and 20 < distances[-1] < 35


def test_location_without_radius_orders_nearest_first(cast):
    page = service_search(SearchFilters(lat=BERLIN[1], lng=BERLIN[2]))
    assert page.count == 5
    assert [s.title for s in page.items][-1] == "Club DJ"  # Munich is farthest
    assert page.items[-1].distance_km > 450


def test_radius_needs_a_location():
    with pytest.raises(ValidationError) as exc:
        service_search(SearchFilters(radius_km=10))
    assert "radius_km" in exc.value.message_dict


def test_date_hides_providers_busy_that_day(cast):
    day = timezone.localdate() + dt.timedelta(days=7)
    busy_day_block(provider=cast["dj"], start=day, end=day + dt.timedelta(days=2))
    assert "Wedding DJ" not in titles(SearchFilters(date=day))
    assert "Club DJ" not in titles(SearchFilters(date=day + dt.timedelta(days=2)))
    assert "Wedding DJ" in titles(SearchFilters(date=day + dt.timedelta(days=3)))
    assert service_search(SearchFilters(date=day)).count == 3


def test_past_date_is_a_field_error(cast):
    with pytest.raises(ValidationError) as exc:
        service_search(SearchFilters(date=timezone.localdate() - dt.timedelta(days=1)))
    assert "date" in exc.value.message_dict


def test_all_filters_combined(cast):
    day = timezone.localdate() + dt.timedelta(days=3)
    busy_day_block(provider=cast["photo"], start=day)
    filters = SearchFilters(
        q="wedding",
        category="",
        min_price=50000,
        max_price=260000,
        lat=BERLIN[1],
        lng=BERLIN[2],
        radius_km=40,
        date=day,
        sort="price",
    )
    assert titles(filters) == ["Wedding DJ", "Soul band for weddings"]


def test_price_sorts(cast):
    assert titles(SearchFilters(sort="price"))[0] == "Wedding DJ"
    assert titles(SearchFilters(sort="-price"))[0] == "Funk band, late night"


def test_rating_sort(cast):
    assert [s.provider.display_name for s in service_search(SearchFilters(sort="rating")).items][-1] == "Mira Lens"


def test_pagination_and_page_past_the_end(cast):
    first = service_search(SearchFilters(page_size=2, sort="price"))
    second = service_search(SearchFilters(page_size=2, sort="price", page=2))
    third = service_search(SearchFilters(page_size=2, sort="price", page=3))
    assert first.num_pages == 3 and first.has_next and not first.has_previous
    seen = [s.title for p in (first, second, third) for s in p.items]
    assert len(seen) == 5 and len(set(seen)) == 5
    assert not third.has_next
    with pytest.raises(ValidationError) as exc:
        service_search(SearchFilters(page_size=2, page=4))
    assert "page" in exc.value.message_dict


def test_inactive_services_and_deactivated_providers_are_hidden(cast):
    service_set_active(service=cast["dj_munich"], actor=cast["dj_munich"].provider, is_active=False)
    user_set_active(user=cast["photo"], is_active=False)
    assert set(titles(SearchFilters())) == {"Soul band for weddings", "Funk band, late night", "Wedding DJ"}
    user_set_active(user=cast["photo"], is_active=True)
    assert "Wedding photography" in titles(SearchFilters())


def test_empty_results_say_what_to_relax(cast):
    page = service_search(SearchFilters(q="accordion", category="dj", max_price=1000))
    assert page.count == 0
    assert any("price" in tip for tip in page.relaxations)
    assert any("categories" in tip for tip in page.relaxations)


def test_renamed_provider_is_found_by_the_new_name(cast):
    from accounts.services import user_update_profile

    user_update_profile(user=cast["dj"], display_name="DJ Polaris")
    assert set(titles(SearchFilters(q="polaris"))) == {"Wedding DJ", "Club DJ"}
    assert titles(SearchFilters(q="nova")) == []


def test_search_costs_three_queries_whatever_the_result_size(cast, django_assert_num_queries):
    filters = SearchFilters(q="wedding", lat=BERLIN[1], lng=BERLIN[2], radius_km=500, date=timezone.localdate())
    with django_assert_num_queries(3):  # the matches' ids, the page's ids, the page's services
        service_search(filters)
    for i in range(15):
        make_service(cast["band"], title=f"Wedding band {i}")
    with django_assert_num_queries(3):
        page = service_search(filters)
    assert page.count == 18
