"""The provider's public six-week calendar: days their hours leave no time on are busy, and a free
day links to booking that day."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from calendars.services import date_override_save, weekly_hours_save
from catalog.tests.factories import make_service

T = dt.time


def _days(response) -> dict[str, str]:
    """date -> the link of its day ('' when busy), read from the calendar's HTML."""
    out = {}
    for chunk in response.content.decode().split('data-date="')[1:]:
        date, rest = chunk[:10], chunk.split("</li>")[0]
        out[date] = rest.split('href="')[1].split('"')[0] if 'data-testid="book-day"' in rest else ""
    return out


def test_free_days_link_to_the_booking_form_of_the_one_service(client, provider, service):
    today = timezone.localdate()
    days = _days(client.get(reverse("catalog:provider", args=[provider.public_id])))
    assert len(days) == 42
    later = (today + dt.timedelta(days=9)).isoformat()
    assert days[later] == reverse("bookings:new", args=[service.public_id]) + f"?date={later}"


def test_days_without_hours_and_days_off_are_busy(client, provider, service):
    today = timezone.localdate()
    weekly_hours_save(provider=provider, week={0: [(T(9), T(17))], 1: [(T(9), T(17))]})
    monday = today + dt.timedelta(days=7 + (0 - today.weekday()) % 7)
    date_override_save(provider=provider, date=monday, ranges=[])
    sunday = monday - dt.timedelta(days=1)
    date_override_save(provider=provider, date=sunday, ranges=[(T(10), T(12))])
    days = _days(client.get(reverse("catalog:provider", args=[provider.public_id])))
    assert days[monday.isoformat()] == ""  # a day off
    assert days[(monday + dt.timedelta(days=1)).isoformat()]  # a Tuesday with hours
    assert days[(monday + dt.timedelta(days=2)).isoformat()] == ""  # no Wednesday hours
    assert days[sunday.isoformat()]  # a Sunday with hours of its own


def test_with_several_services_a_free_day_lists_them_with_the_date(client, provider, service):
    make_service(provider, title="Solo piano")
    later = (timezone.localdate() + dt.timedelta(days=9)).isoformat()
    url = reverse("catalog:provider", args=[provider.public_id])
    assert _days(client.get(url))[later] == f"{url}?date={later}#services-title"
    page = client.get(url, {"date": later}).content.decode()
    assert reverse("catalog:service", args=[service.public_id]) + f"?date={later}" in page


def test_a_booked_day_stays_open_on_the_calendar_until_the_daily_maximum(client, client_user, provider, service):
    from zoneinfo import ZoneInfo

    from bookings.tests.factories import make_booking
    from calendars.services import availability_rules_save

    day = timezone.localdate() + dt.timedelta(days=12)
    make_booking(client=client_user, service=service, to_state="accepted",
                 starts_at=dt.datetime.combine(day, T(10), tzinfo=ZoneInfo("Europe/Berlin")))  # fmt: skip
    url = reverse("catalog:provider", args=[provider.public_id])
    assert _days(client.get(url))[day.isoformat()] == ""  # no rules: a booked day is busy, as before
    availability_rules_save(
        provider=provider, buffer_before_minutes=0, buffer_after_minutes=0, min_notice_hours=0, max_gigs_per_day=2,
        timezone_name="Europe/Berlin",
    )  # fmt: skip
    assert _days(client.get(url))[day.isoformat()]
