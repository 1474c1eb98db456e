"""The days a booking occupies in search (catalog.BusyDay) are the venue's days, in the service's
time zone, whatever zone the site runs in."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bookings.services import SlotTaken, booking_request
from bookings.tests.factories import make_booking
from catalog.models import BusyDay
from catalog.services import busy_day_block
from catalog.tests.factories import make_service

SYDNEY = ZoneInfo("Australia/Sydney")


@pytest.fixture
def sydney(provider, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # the site's zone: nine or ten hours behind the venue
    return make_service(provider, title="Harbour jazz", city="Sydney, Australia", duration_minutes=240)


def _sydney_day(days: int) -> dt.date:
    return dt.datetime.now(SYDNEY).date() + dt.timedelta(days=days)


def _booked_days(booking) -> list[dt.date]:
    return sorted(BusyDay.objects.filter(source_id=booking.public_id).values_list("date", flat=True))


def test_a_late_gig_in_sydney_marks_the_sydney_days(client_user, sydney):
    assert sydney.timezone == "Australia/Sydney"
    day = _sydney_day(30)
    starts = dt.datetime.combine(day, dt.time(22), tzinfo=SYDNEY)  # 22:00 to 02:00, Sydney time
    booking = make_booking(client=client_user, service=sydney, to_state="accepted", starts_at=starts)
    # In Berlin the gig runs from midday to the afternoon of one day; in Sydney it crosses midnight.
    assert _booked_days(booking) == [day, day + dt.timedelta(days=1)]


def test_a_morning_gig_in_sydney_is_on_its_sydney_day_not_berlins_evening_before(client_user, sydney):
    day = _sydney_day(30)
    starts = dt.datetime.combine(day, dt.time(8), tzinfo=SYDNEY)  # the evening before, in Berlin
    booking = make_booking(client=client_user, service=sydney, to_state="accepted", starts_at=starts)
    assert _booked_days(booking) == [day]


def test_a_day_the_provider_blocked_refuses_a_gig_reaching_into_it_in_venue_time(client_user, provider, sydney):
    day = _sydney_day(30)
    busy_day_block(provider=provider, start=day + dt.timedelta(days=1))
    starts = dt.datetime.combine(day, dt.time(22), tzinfo=SYDNEY)  # ends at 02:00 on the blocked day
    with pytest.raises(SlotTaken):
        booking_request(client=client_user, service=sydney, starts_at=starts, venue="Opera steps")
