"""Search's "free that day" follows the provider's hours: a weekday without hours, a date off, a
day too soon for their notice, or a day already booked hides them; the query count stays."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calendars.services import availability_rules_save, date_override_save, weekly_hours_save
from catalog.selectors import SearchFilters, service_search
from catalog.tests.factories import make_service

T = dt.time


def _next(weekday: int) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _free(day: dt.date) -> set[str]:
    return {s.title for s in service_search(SearchFilters(date=day)).items}


@pytest.fixture
def cast(provider):
    from accounts.tests.factories import make_user

    other = make_user("olga@example.com", "Olga Organ", role="provider")
    make_service(provider, title="Band with hours")
    make_service(other, title="Organ any time")
    return provider


def test_a_weekday_without_hours_hides_the_provider(cast):
    weekly_hours_save(provider=cast, week={0: [(T(9), T(17))]})
    assert _free(_next(0)) == {"Band with hours", "Organ any time"}
    assert _free(_next(1)) == {"Organ any time"}


def test_a_date_off_hides_and_a_date_with_hours_shows(cast):
    weekly_hours_save(provider=cast, week={0: [(T(9), T(17))]})
    date_override_save(provider=cast, date=_next(0), ranges=[])
    date_override_save(provider=cast, date=_next(1), ranges=[(T(18), T(23))])
    assert _free(_next(0)) == {"Organ any time"}
    assert _free(_next(1)) == {"Band with hours", "Organ any time"}


def test_a_date_off_hides_a_provider_without_weekly_hours(cast):
    date_override_save(provider=cast, date=_next(3), ranges=[])
    assert _free(_next(3)) == {"Organ any time"}
    assert _free(_next(4)) == {"Band with hours", "Organ any time"}


def test_minimum_notice_hides_days_too_soon(cast):
    availability_rules_save(
        provider=cast, buffer_before_minutes=0, buffer_after_minutes=0, min_notice_hours=72, max_gigs_per_day=None,
        timezone_name="Europe/Berlin",
    )  # fmt: skip
    today = timezone.localdate()
    assert _free(today + dt.timedelta(days=1)) == {"Organ any time"}
    assert _free(today + dt.timedelta(days=4)) == {"Band with hours", "Organ any time"}


def test_the_search_page_and_api_agree_and_keep_their_query_count(client, cast, django_assert_max_num_queries):
    weekly_hours_save(provider=cast, week={0: [(T(9), T(17))]})
    tuesday = _next(1).isoformat()
    with django_assert_max_num_queries(4):
        body = client.get(reverse("api:service_list_api"), {"date": tuesday}).json()
    assert [item["title"] for item in body["items"]] == ["Organ any time"]
    page = client.get(reverse("catalog:search"), {"date": tuesday}).content.decode()
    assert "Organ any time" in page and "Band with hours" not in page


def _book(client_user, provider, day, hour):
    from zoneinfo import ZoneInfo

    from bookings.tests.factories import make_booking
    from catalog.models import Service

    service = Service.objects.get(provider=provider)
    starts = dt.datetime.combine(day, T(hour), tzinfo=ZoneInfo("Europe/Berlin"))
    make_booking(client=client_user, service=service, to_state="accepted", starts_at=starts)


def test_a_booked_day_stays_free_until_the_daily_maximum(cast, client_user):
    availability_rules_save(
        provider=cast, buffer_before_minutes=0, buffer_after_minutes=0, min_notice_hours=0, max_gigs_per_day=2,
        timezone_name="Europe/Berlin",
    )  # fmt: skip
    day = _next(2)
    _book(client_user, cast, day, 10)
    assert _free(day) == {"Band with hours", "Organ any time"}
    _book(client_user, cast, day, 18)
    assert _free(day) == {"Organ any time"}


def test_without_rules_a_booked_day_is_busy_as_before(cast, client_user):
    day = _next(2)
    _book(client_user, cast, day, 10)
    assert _free(day) == {"Organ any time"}
