"""The date searched for travels: result cards link to the service page with `?date=`, the
service page's Book link carries it on, and the booking form starts on that date. A bad or past
date is ignored, never an error."""

import datetime as dt
import re

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from catalog.forms import date_from_link
from catalog.tests.factories import make_service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_answer_cache(settings):
    settings.SEARCH_CACHE_SECONDS = 0  # each search renders its results; only the cards are cached


def _day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _service_links(html: str, service) -> list[str]:
    return re.findall(rf'href="({reverse("catalog:service", args=[service.public_id])}[^"]*)"', html)


def _book_link(html: str) -> str:
    return re.search(r'href="([^"]*)" data-testid="book"', html)[1]


def test_result_cards_link_to_the_service_on_the_searched_date_and_stay_shared(client, provider):
    service = make_service(provider, title="Soul band")
    day = _day(12)
    dated = client.get(reverse("catalog:search"), {"date": day}).content.decode()
    assert _service_links(dated, service) == [reverse("catalog:service", args=[service.public_id]) + f"?date={day}"]
    undated = client.get(reverse("catalog:search")).content.decode()
    assert _service_links(undated, service) == [reverse("catalog:service", args=[service.public_id])]
    assert "<!--date-->" not in dated + undated
    assert len([key for key in caches["local"]._cache if ":card:" in key]) == 1  # one card for both searches


def test_the_service_page_carries_the_date_to_the_booking_form(client, provider):
    service = make_service(provider)
    page = reverse("catalog:service", args=[service.public_id])
    day = _day(12)
    book = reverse("bookings:new", args=[service.public_id])
    assert _book_link(client.get(page, {"date": day}).content.decode()) == f"{book}?date={day}"
    # The page itself is cached without the date: the next visitor's link carries their own.
    assert _book_link(client.get(page).content.decode()) == book
    assert _book_link(client.get(page, {"date": _day(13)}).content.decode()) == f"{book}?date={_day(13)}"


@pytest.mark.parametrize(
    "bad", ["tomorrow", "2027-02-30", "", "1999-01-01", "9999-12-31", "2027-03-14T20:00", "x" * 500]
)
def test_a_bad_or_past_date_is_ignored(client, provider, bad):
    service = make_service(provider)
    response = client.get(reverse("catalog:service", args=[service.public_id]), {"date": bad})
    assert response.status_code == 200
    assert _book_link(response.content.decode()) == reverse("bookings:new", args=[service.public_id])
    assert date_from_link(bad) is None


def test_a_past_date_is_ignored_but_today_is_kept():
    assert date_from_link(_day(-1)) is None
    assert date_from_link(_day(0)) == timezone.localdate()
    assert date_from_link(None) is None


def test_the_booking_form_starts_on_the_date_carried(client, client_user, provider):
    service = make_service(provider)
    client.force_login(client_user)
    url = reverse("bookings:new", args=[service.public_id])
    day = _day(12)
    html = client.get(url, {"date": day}).content.decode()
    assert re.search(rf'<input[^>]*name="date"[^>]*value="{day}"', html)
    for bad in ("2001-01-01", "not-a-date"):
        response = client.get(url, {"date": bad})
        assert response.status_code == 200
        assert not re.search(r'<input[^>]*name="date"[^>]*value=', response.content.decode())
