"""One booking as iCalendar: the UID stays, the SEQUENCE grows with each change, times are UTC,
a booking called off is CANCELLED."""

import datetime as dt

from icalendar import Calendar

from bookings.services import booking_transition
from bookings.tests.factories import at, make_booking
from calendars.ics import booking_uid, calendar_ics
from calendars.selectors import calendar_booking_for_user


def _event(booking, user):
    ics = calendar_ics([calendar_booking_for_user(user=user, public_id=booking.public_id)], name="t", user_id=user.pk)
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    return event


def test_a_booking_is_one_event_at_its_times_in_utc(client_user, service):
    booking = make_booking(client=client_user, service=service, starts_at=at(30, hour=20))
    event = _event(booking, client_user)
    assert event["UID"] == booking_uid(booking) == f"booking-{booking.public_id}@127.0.0.1"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.utcoffset() == dt.timedelta(0) and start.tzname() == "UTC"
    assert (start, end) == (booking.starts_at, booking.ends_at)
    assert event.to_ical().decode().count("Z\r\n") >= 4  # DTSTART, DTEND, DTSTAMP, LAST-MODIFIED in UTC form
    assert event["LOCATION"] == booking.venue
    assert event["STATUS"] == "TENTATIVE"
    assert int(event["SEQUENCE"]) == 0


def test_each_change_raises_the_sequence_and_keeps_the_uid(client_user, provider, service):
    booking = make_booking(client=client_user, service=service)
    first = _event(booking, provider)
    booking_transition(booking=booking, action="accept", actor=provider)
    accepted = _event(booking, provider)
    booking_transition(booking=booking, action="mark_paid", actor=provider)
    confirmed = _event(booking, provider)
    assert first["UID"] == accepted["UID"] == confirmed["UID"]
    assert int(first["SEQUENCE"]) < int(accepted["SEQUENCE"]) < int(confirmed["SEQUENCE"])
    assert (accepted["STATUS"], confirmed["STATUS"]) == ("TENTATIVE", "CONFIRMED")


def test_a_booking_called_off_is_cancelled(client_user, service):
    booking = make_booking(client=client_user, service=service, to_state="cancelled")
    event = _event(booking, client_user)
    assert event["STATUS"] == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1


def test_each_party_sees_the_other_named(client_user, provider, service):
    booking = make_booking(client=client_user, service=service)
    assert _event(booking, client_user)["SUMMARY"] == f"{service.title} · {provider.display_name}"
    assert _event(booking, provider)["SUMMARY"] == f"{service.title} · {client_user.display_name}"


def test_a_new_time_accepted_moves_the_event_and_raises_its_sequence(client_user, provider, service):
    from bookings.services import reschedule_propose

    booking = make_booking(client=client_user, service=service, to_state="confirmed", starts_at=at(30))
    before = _event(booking, provider)
    reschedule_propose(booking=booking, actor=client_user, starts_at=at(37, 21))
    proposed = _event(booking, provider)
    assert proposed.decoded("DTSTART") == at(30)  # nothing moves until the other party accepts
    booking_transition(booking=booking, action="accept_reschedule", actor=provider)
    moved = _event(booking, provider)
    assert moved["UID"] == before["UID"]
    assert (moved.decoded("DTSTART"), moved.decoded("DTEND")) == (at(37, 21), at(38, 0))
    assert int(before["SEQUENCE"]) < int(proposed["SEQUENCE"]) < int(moved["SEQUENCE"])
    last_change = booking.events.order_by("created_at", "pk").last().created_at.replace(microsecond=0)
    assert moved.decoded("LAST-MODIFIED") == last_change  # the accept, though the state stayed
    assert moved.decoded("DTSTAMP") == moved.decoded("LAST-MODIFIED")
