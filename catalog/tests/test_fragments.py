"""Result cards come from the process's cache, and never show anything stale."""

import re
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.urls import reverse

from accounts.services import user_update_profile
from bookings.services import review_create
from bookings.tests.factories import make_booking
from catalog.services import service_update
from catalog.tests.factories import make_service, service_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_answer_cache(settings):
    settings.SEARCH_CACHE_SECONDS = 0  # each search renders its results; only the cards are cached


def cards(client, **params) -> list[str]:
    html = client.get(reverse("catalog:search"), params).content.decode()
    return re.findall(r'<li class="card result-card".*?</li>\s*</ul>.*?</li>', html, re.S)


def test_a_card_is_rendered_once_and_then_read_from_the_cache(client, provider):
    make_service(provider, title="Soul band")
    first = cards(client)
    assert len(first) == 1 and "Soul band" in first[0] and "Pete Provider" in first[0]
    keys = [key for key in caches["local"]._cache if ":card:" in key]
    assert len(keys) == 1
    assert cards(client) == first


def test_an_edit_a_rename_or_a_review_shows_at_once(client, provider, client_user):
    service = make_service(provider, title="Soul band")
    assert "Soul band" in cards(client)[0]

    data = service_data(title="Funk band", description="", price_minor=99000, duration_minutes=120)
    service_update(service=service, actor=provider, data=data)
    card = cards(client)[0]
    assert "Funk band" in card and "Soul band" not in card and "€990" in card

    user_update_profile(user=provider, display_name="Rosa Rhythm")
    assert "Rosa Rhythm" in cards(client)[0]

    booking = make_booking(client=client_user, service=service, to_state="completed")
    review_create(booking=booking, author=client_user, rating=4)
    assert "New" in cards(client)[0]  # blind: not counted until published
    review_create(booking=booking, author=provider, rating=5)  # both have reviewed: both published
    provider.provider_profile.refresh_from_db()
    assert provider.provider_profile.rating_avg == Decimal("4.00")
    assert "4.0" in cards(client)[0]


def test_the_distance_is_each_search_s_own(client, provider):
    make_service(provider, title="Soul band", city="Potsdam, Germany")
    from_berlin = cards(client, city="Berlin, Germany")[0]
    from_munich = cards(client, city="Munich, Germany")[0]
    assert re.search(r"2\d\.\d km away", from_berlin)  # Potsdam is about 27 km from Berlin
    assert re.search(r"4\d\d\.\d km away", from_munich)
    assert "km away" not in cards(client)[0]  # no place asked: no distance
    assert from_berlin.replace(re.search(r"[\d.,]+ km", from_berlin)[0], "") == from_munich.replace(
        re.search(r"[\d.,]+ km", from_munich)[0], ""
    )


def test_the_service_page_follows_edits_renames_and_reviews_and_each_visitor_s_button(
    client, provider, client_user, django_assert_num_queries
):
    service = make_service(provider, title="Soul band")
    url = reverse("catalog:service", args=[service.public_id])
    first = client.get(url).content.decode()
    assert "Soul band" in first and 'data-testid="book"' in first
    # the service with its provider, the first photo (nothing rendered again), the reviews' count
    with django_assert_num_queries(3):
        again = client.get(url).content.decode()
    token = re.compile(r'"X-CSRFToken": "\w+"')  # masked afresh for every response
    assert token.sub("", again) == token.sub("", first)

    user_update_profile(user=provider, display_name="Rosa Rhythm", bio="Forty years of soul.")
    page = client.get(url).content.decode()
    assert "Rosa Rhythm" in page and "Forty years of soul." in page

    booking = make_booking(client=client_user, service=service, to_state="completed")
    review_create(booking=booking, author=client_user, rating=4)
    review_create(booking=booking, author=provider, rating=5)
    assert "(1 review)" in client.get(url).content.decode()

    client.force_login(provider)  # a provider never gets the Book button a visitor's page had
    assert 'data-testid="book"' not in client.get(url).content.decode()
    client.force_login(client_user)
    assert 'data-testid="book"' in client.get(url).content.decode()


def test_the_provider_page_follows_new_services_and_pauses(client, provider):
    kept = make_service(provider, title="Soul band")
    url = reverse("catalog:provider", args=[provider.public_id])
    assert "Soul band" in client.get(url).content.decode()
    added = make_service(provider, title="Funk band")
    page = client.get(url).content.decode()
    assert "Soul band" in page and "Funk band" in page
    from catalog.services import service_set_active

    service_set_active(service=added, actor=provider, is_active=False)
    page = client.get(url).content.decode()
    assert "Funk band" not in page and kept.title in page
