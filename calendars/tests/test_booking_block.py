"""Busy times from the provider's own calendar refuse bookings that overlap them (requests and
accepting), and `imported_busy` tells the slot calculator where they are."""

import datetime as dt

import pytest

from bookings.services import SlotTaken, booking_request, booking_transition
from bookings.tests.factories import VENUE, at, make_booking
from calendars.selectors import imported_busy
from calendars.services import busy_import_save
from calendars.tests.helpers import all_day, ics_of, timed
from gigsta.tests.helpers import tasks_run

BUSY = "The provider is busy at that time (their own calendar)."
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def rehearsal(provider, service, feed_server):
    """The provider's calendar: a rehearsal 10 days from now, 18:00 to 21:00."""
    starts_at = at(10, 18)
    feed_server.bodies["/me.ics"] = ics_of(timed("rehearsal@example.com", starts_at, starts_at + 3 * HOUR))
    busy_import_save(provider=provider, url=feed_server.url("/me.ics"))
    tasks_run()
    return starts_at, starts_at + 3 * HOUR


def test_imported_busy_lists_the_times_that_overlap(provider, rehearsal):
    start, end = rehearsal
    assert imported_busy(provider.pk, start - 5 * HOUR, start + HOUR) == [(start, end)]
    assert imported_busy(provider.pk, end, end + 5 * HOUR) == []  # touching is not overlapping
    assert imported_busy(provider.pk, start - 5 * HOUR, start) == []


def test_a_request_over_a_busy_time_is_refused(client_user, service, rehearsal):
    start, _ = rehearsal
    with pytest.raises(SlotTaken) as caught:
        booking_request(client=client_user, service=service, starts_at=start - HOUR, venue=VENUE)  # 17:00-20:00
    assert str(caught.value) == BUSY and caught.value.code == "slot_taken"


def test_a_request_next_to_a_busy_time_is_taken(client_user, service, rehearsal):
    start, end = rehearsal
    booking = booking_request(client=client_user, service=service, starts_at=end, venue=VENUE)
    assert booking.state == "requested"
    booking_request(client=client_user, service=service, starts_at=start - 3 * HOUR, venue=VENUE)  # ends at 18:00


def test_accepting_over_a_time_that_became_busy_is_refused(client_user, provider, service, feed_server):
    booking = make_booking(client=client_user, service=service, starts_at=at(12, 20))
    feed_server.bodies["/me.ics"] = ics_of(timed("dentist@example.com", at(12, 21), at(12, 22)))
    busy_import_save(provider=provider, url=feed_server.url("/me.ics"))
    tasks_run()
    with pytest.raises(SlotTaken, match=r"their own calendar"):
        booking_transition(booking=booking, action="accept", actor=provider)
    booking.refresh_from_db()
    assert booking.state == "requested"


def test_an_all_day_event_refuses_the_whole_day(client_user, provider, service, feed_server):
    day = at(14).date()
    feed_server.bodies["/me.ics"] = ics_of(all_day("festival@example.com", day))
    busy_import_save(provider=provider, url=feed_server.url("/me.ics"))
    tasks_run()
    for hour in (9, 20):
        with pytest.raises(SlotTaken, match=r"their own calendar"):
            booking_request(client=client_user, service=service, starts_at=at(14, hour), venue=VENUE)
    assert booking_request(client=client_user, service=service, starts_at=at(15, 9), venue=VENUE)
