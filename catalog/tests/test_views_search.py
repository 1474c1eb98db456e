import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import make_user
from catalog.services import busy_day_block
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings(provider):
    make_service(provider, title="Soul band for weddings", city="Berlin, Germany", price_minor=250000)
    make_service(provider, title="Jazz trio", city="Potsdam, Germany", price_minor=90000)
    make_service(provider, title="Brass band", city="Munich, Germany", price_minor=120000)
    return provider


def get(client, **params):
    return client.get(reverse("catalog:search"), params)


def test_search_page_without_filters_lists_services(client, listings):
    response = client.get(reverse("catalog:search"))
    assert response.status_code == 200
    assert response.context["results"].count == 3


def test_search_by_city_radius_and_text(client, listings):
    response = get(client, q="band", city="Berlin, Germany", radius_km="50")
    assert response.status_code == 200
    assert [s.title for s in response.context["results"].items] == ["Soul band for weddings"]
    assert "Soul band for weddings" in response.content.decode()


def test_prices_are_typed_in_whole_currency(client, listings):
    response = get(client, min_price="1000", max_price="2000")
    assert [s.title for s in response.context["results"].items] == ["Brass band"]


def test_date_filter_on_the_page(client, listings):
    day = timezone.localdate() + dt.timedelta(days=4)
    busy_day_block(provider=listings, start=day)
    assert get(client, date=day.isoformat()).context["results"].count == 0


def test_htmx_request_gets_only_the_results(client, listings):
    response = client.get(reverse("catalog:search"), {"q": "jazz"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="results"' in html
    assert "Jazz trio" in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, listings):
    response = client.get(
        reverse("catalog:search"), {"q": "jazz"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"city": "Nowhere-on-Sea"}, "city"),
        ({"radius_km": "50"}, "city"),
        ({"radius_km": "7"}, "radius_km"),
        ({"category": "knitting"}, "category"),
        ({"min_price": "-5"}, "min_price"),
        ({"min_price": "500", "max_price": "100"}, "max_price"),
        ({"date": "2001-01-01"}, "date"),
        ({"date": "31/31/2031"}, "date"),
        ({"sort": "distance"}, "sort"),
        ({"page": "0"}, "page"),
        ({"q": "x" * 10_000}, "q"),
    ],
)
def test_bad_filters_show_an_inline_error_never_a_500(client, listings, params, field):
    response = get(client, **params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["results"] is None
    # The htmx swap shows the same error in the results area.
    partial = client.get(reverse("catalog:search"), params, headers={"HX-Request": "true"}).content.decode()
    assert 'id="results"' in partial
    assert str(response.context["form"].errors[field][0]).split("<")[0][:20] in partial.replace("&#x27;", "'")


def test_page_past_the_end_explains(client, listings):
    response = get(client, page="9")
    assert response.status_code == 200
    assert "only 1 page" in response.content.decode()


def test_search_page_query_count_does_not_grow_with_results(
    client, listings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    params = {"q": "band", "city": "Berlin, Germany", "radius_km": "250", "date": timezone.localdate().isoformat()}
    with django_assert_num_queries(4):  # the categories (then kept a minute), count, the page's ids, its services
        get(client, **params)
    with django_capture_on_commit_callbacks(execute=True):  # the writes commit: the cached answer is stale
        for i in range(20):
            make_service(listings, title=f"Party band {i}", city="Berlin, Germany")
    with django_assert_num_queries(3):
        response = get(client, **params)
    assert response.context["results"].count == 21


def test_repeated_search_is_served_from_the_cache_until_the_catalog_changes(
    client, listings, django_assert_num_queries, django_capture_on_commit_callbacks, settings
):
    params = {"q": "band", "city": "Berlin, Germany", "radius_km": "50"}
    first = get(client, **params).content.decode()
    with django_assert_num_queries(0):
        again = get(client, **params).content.decode()
    assert again.count('data-testid="result"') == first.count('data-testid="result"') == 1
    with django_capture_on_commit_callbacks(execute=True):
        make_service(listings, title="Party band", city="Berlin, Germany")
    assert get(client, **params).content.decode().count('data-testid="result"') == 2
    settings.SEARCH_CACHE_SECONDS = 0
    with django_assert_num_queries(3):
        get(client, **params)


def test_city_suggestions(client):
    response = client.get(reverse("catalog:city-suggestions"), {"city": "ham"})
    assert response.status_code == 200
    assert '<option value="Hamburg, Germany">' in response.content.decode()
    assert client.get(reverse("catalog:city-suggestions"), {"city": "h"}).content.decode().strip() == ""


def test_provider_page_shows_services_and_availability(client, listings):
    day = timezone.localdate() + dt.timedelta(days=3)
    busy_day_block(provider=listings, start=day)
    response = client.get(reverse("catalog:provider", args=[listings.public_id]))
    assert response.status_code == 200
    assert len(response.context["services"]) == 3
    busy = [d["date"] for d in response.context["availability"] if d["busy"]]
    assert busy == [day]


def test_provider_calendar_shows_a_newly_busy_day_at_once(client, listings, django_assert_num_queries):
    url = reverse("catalog:provider", args=[listings.public_id])
    day = timezone.localdate() + dt.timedelta(days=5)
    # provider, busy days and dates off, rules and weekdays, photos, services, the reviews' count (none)
    with django_assert_num_queries(6):
        before = client.get(url).content.decode()
    assert f'data-busy="false" data-date="{day:%Y-%m-%d}"' in before
    busy_day_block(provider=listings, start=day)
    after = client.get(url).content.decode()
    assert f'data-busy="true" data-date="{day:%Y-%m-%d}"' in after
    assert after.count('data-busy="true"') == 1 and after.count("calendar__day ") == 42


def test_provider_page_is_404_for_clients_and_strangers(client, client_user):
    assert client.get(reverse("catalog:provider", args=[client_user.public_id])).status_code == 404


def test_service_page(client, listings):
    service = listings.services.first()
    response = client.get(reverse("catalog:service", args=[service.public_id]))
    assert response.status_code == 200
    assert service.title in response.content.decode()


def test_inactive_service_page_is_404(client, provider):
    service = make_service(provider, is_active=False)
    assert client.get(reverse("catalog:service", args=[service.public_id])).status_code == 404


def test_other_providers_are_found_too(client, listings):
    other = make_user("other@example.com", "Other Act", role="provider")
    make_service(other, title="Magic show", category="magic")
    assert get(client, category="magic").context["results"].count == 1


def test_a_count_past_the_limit_reads_as_more(client, listings, monkeypatch, settings):
    from catalog import selectors

    settings.SEARCH_CACHE_SECONDS = 0
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 2)
    page = get(client).content.decode()
    assert "<strong>2+</strong> results" in page
    api = client.get(reverse("api:service_list_api")).json()
    assert (api["count"], api["more"], len(api["items"])) == (2, True, 3)
    assert client.get(reverse("api:service_list_api"), {"q": "jazz"}).json()["more"] is False


def test_with_the_answer_cache_off_no_version_is_read(settings):
    from django.core.cache import cache

    from catalog.cache import VERSION_KEY, search_cache_get, search_cache_key

    settings.SEARCH_CACHE_SECONDS = 0
    cache.delete(VERSION_KEY)
    assert search_cache_key("api", [("q", "band")]) == ""
    assert search_cache_get("") is None
    assert cache.get(VERSION_KEY) is None  # not even created
