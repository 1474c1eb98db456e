"""The booking form's slot picker: with working hours set, a client picks a date, then one of its
free start times (radio buttons on the venue's clock); without hours, any time is typed in."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import session_queries
from bookings.models import Booking
from bookings.tests.factories import make_booking
from calendars.services import weekly_hours_save

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
T = dt.time


def _next(weekday: int) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def hours(provider):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(15))]})  # Mondays 9 to 3


def _new(service, **query):
    return reverse("bookings:new", args=[service.public_id]) + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


def test_without_a_date_the_form_asks_for_one(client, client_user, service, hours):
    client.force_login(client_user)
    page = client.get(_new(service)).content.decode()
    assert 'data-testid="pick-date-form"' in page and 'data-testid="pick-a-date"' in page
    assert 'data-testid="booking-form"' not in page


def test_the_searched_date_shows_its_free_starts_in_venue_time(
    client, client_user, service, hours, settings, django_assert_max_num_queries
):
    monday = _next(0)
    make_booking(
        client=client_user,
        service=service,
        to_state="accepted",
        starts_at=dt.datetime.combine(monday, T(12), tzinfo=BERLIN),
    )
    client.force_login(client_user)
    with django_assert_max_num_queries(14 + session_queries(settings)):
        response = client.get(_new(service, date=monday.isoformat()))
    page = response.content.decode()
    assert f'value="{monday.isoformat()}"' in page
    assert "Berlin, Germany time (Europe/Berlin)" in page
    labels = [line.split('value="')[1][:5] for line in page.splitlines() if 'name="start_time"' in line]
    assert labels == ["09:00"]  # 3 hours to 12:00; from 15:00 on the day's hours are over
    assert 'type="time"' not in page  # no free-text time when the provider has hours


def test_picking_a_slot_sends_the_request_at_that_time(client, client_user, service, hours):
    monday = _next(0)
    client.force_login(client_user)
    data = {"date": monday.isoformat(), "duration_minutes": "180", "start_time": "10:30", "venue": "Villa Rosa"}
    response = client.post(_new(service), data)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.starts_at == dt.datetime.combine(monday, T(10, 30), tzinfo=BERLIN)


@pytest.mark.parametrize("start", ["16:00", "10:15", "nonsense", ""])
def test_a_time_not_offered_is_refused_and_nothing_is_written(client, client_user, service, hours, start):
    client.force_login(client_user)
    data = {"date": _next(0).isoformat(), "duration_minutes": "180", "start_time": start, "venue": "Villa Rosa"}
    response = client.post(_new(service), data)
    assert response.status_code == 200
    assert "start_time" in response.context["form"].errors
    assert not Booking.objects.exists()


def test_a_day_without_hours_says_so(client, client_user, service, hours):
    client.force_login(client_user)
    page = client.get(_new(service, date=_next(1).isoformat())).content.decode()
    assert 'data-testid="no-slots"' in page and "No free start times on" in page


def test_a_length_typed_changes_the_starts(client, client_user, hourly, hours):
    client.force_login(client_user)
    page = client.get(_new(hourly, date=_next(0).isoformat(), duration_minutes=360)).content.decode()
    labels = [line.split('value="')[1][:5] for line in page.splitlines() if 'name="start_time"' in line]
    assert labels == ["09:00"]


def test_without_hours_the_time_is_typed_as_before(client, client_user, service):
    client.force_login(client_user)
    page = client.get(_new(service, date=_next(0).isoformat())).content.decode()
    assert 'type="time"' in page and 'name="start_time"' in page and "slot-grid" not in page


def test_a_typed_time_the_clock_skips_is_a_form_error(client, client_user, service):
    client.force_login(client_user)
    day = dt.date(timezone.localdate().year + 1, 3, 31)
    day -= dt.timedelta(days=(day.weekday() + 1) % 7)  # the last Sunday of March: Berlin springs forward
    data = {"date": day.isoformat(), "duration_minutes": "60", "start_time": "02:30", "venue": "Villa Rosa"}
    response = client.post(_new(service), data)
    assert response.status_code == 200
    assert "02:30 does not exist on" in response.content.decode()
    assert not Booking.objects.exists()
