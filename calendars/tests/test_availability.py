"""The rules that decide when a provider can take a gig (calendars.availability), one by one,
through the functions the booking service, the slots API and the picker read."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bookings.services import SlotTaken, booking_request
from bookings.tests.factories import make_booking
from calendars.availability import Rules, free_starts, open_intervals, slot_problem, wall_clock_starts
from calendars.services import availability_rules_save, date_override_save, weekly_hours_save
from catalog.services import busy_day_block
from catalog.tests.factories import make_service

BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")
NOW = dt.datetime(2027, 1, 4, 8, tzinfo=dt.UTC)  # a Monday morning
MONDAY = dt.date(2027, 2, 1)
T = dt.time


def _labels(starts, zone) -> list[str]:
    return [s.astimezone(zone).strftime("%H:%M") for s in starts]


def _at(day: dt.date, hour: int, minute: int = 0, zone=BERLIN) -> dt.datetime:
    return dt.datetime.combine(day, T(hour, minute), tzinfo=zone)


def _rules(provider, **changes):
    values = {
        "buffer_before_minutes": 0, "buffer_after_minutes": 0, "min_notice_hours": 0, "max_gigs_per_day": None,
        "timezone_name": "Europe/Berlin",
    }  # fmt: skip
    availability_rules_save(provider=provider, **{**values, **changes})


@pytest.fixture
def service(provider):
    return make_service(provider, duration_minutes=120)  # Berlin


def test_without_hours_every_half_hour_of_a_future_day_is_free(service):
    starts = free_starts(service, MONDAY, 120, now=NOW)
    assert len(starts) == 48
    assert _labels(starts, BERLIN)[:3] == ["00:00", "00:30", "01:00"]


def test_weekly_hours_limit_the_starts_to_gigs_that_fit_inside_them(provider, service):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(12)), (T(14), T(18))]})
    starts = free_starts(service, MONDAY, 120, now=NOW)
    assert _labels(starts, BERLIN) == ["09:00", "09:30", "10:00", "14:00", "14:30", "15:00", "15:30", "16:00"]
    tuesday = MONDAY + dt.timedelta(days=1)
    assert free_starts(service, tuesday, 120, now=NOW) == []
    assert (
        slot_problem(service, _at(MONDAY, 11), _at(MONDAY, 13), now=NOW)
        == "That time is outside the provider's working hours."
    )
    assert slot_problem(service, _at(tuesday, 10), _at(tuesday, 12), now=NOW) == "The provider does not work that day."


def test_a_request_outside_the_hours_is_refused_with_the_reason(client_user, provider, service):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(12))]})
    with pytest.raises(SlotTaken, match="outside the provider's working hours"):
        booking_request(client=client_user, service=service, starts_at=_at(MONDAY, 11), venue="Hall")
    booking = booking_request(client=client_user, service=service, starts_at=_at(MONDAY, 10), venue="Hall")
    assert booking.starts_at == _at(MONDAY, 10)


def test_a_day_off_override_closes_a_working_weekday(provider, service):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(18))]})
    date_override_save(provider=provider, date=MONDAY, ranges=[])
    assert free_starts(service, MONDAY, 120, now=NOW) == []
    assert slot_problem(service, _at(MONDAY, 10), _at(MONDAY, 12), now=NOW) == "The provider does not work that day."
    assert free_starts(service, MONDAY + dt.timedelta(days=7), 120, now=NOW)  # the next Monday is as usual


def test_an_override_with_its_own_hours_replaces_the_weekday(provider, service):
    weekly_hours_save(provider=provider, week={0: [(T(9), T(12))]})
    sunday = MONDAY - dt.timedelta(days=1)
    date_override_save(provider=provider, date=sunday, ranges=[(T(19), T(22))])
    date_override_save(provider=provider, date=MONDAY, ranges=[(T(15), T(17))])
    assert _labels(free_starts(service, sunday, 120, now=NOW), BERLIN) == ["19:00", "19:30", "20:00"]
    assert _labels(free_starts(service, MONDAY, 120, now=NOW), BERLIN) == ["15:00"]


def test_buffers_keep_time_free_around_a_holding_booking(client_user, provider, service):
    _rules(provider, buffer_before_minutes=60, buffer_after_minutes=30)
    make_booking(client=client_user, service=service, to_state="accepted", starts_at=_at(MONDAY, 12))  # 12-14
    labels = _labels(free_starts(service, MONDAY, 120, now=NOW), BERLIN)
    # Between two gigs lie the first's 30 minutes after and the second's hour before.
    assert "08:30" in labels and "09:00" not in labels  # 08:30-10:30, then 1:30 free until 12:00
    assert "15:00" not in labels and "15:30" in labels  # 14:00 + 1:30
    problem = slot_problem(service, _at(MONDAY, 15), _at(MONDAY, 17), now=NOW)
    assert problem.startswith("The provider is booked then, or too close to another gig")
    with pytest.raises(SlotTaken, match="too close"):
        booking_request(client=client_user, service=service, starts_at=_at(MONDAY, 15), venue="Hall")


def test_a_request_does_not_hold_time_but_an_accepted_booking_does(client_user, service):
    make_booking(client=client_user, service=service, starts_at=_at(MONDAY, 12))
    assert "12:00" in _labels(free_starts(service, MONDAY, 120, now=NOW), BERLIN)
    make_booking(client=client_user, service=service, to_state="accepted", starts_at=_at(MONDAY, 12, 30))
    labels = _labels(free_starts(service, MONDAY, 120, now=NOW), BERLIN)
    assert "11:00" not in labels and "12:00" not in labels and "14:30" in labels and "10:30" in labels


def test_blocked_day_offers_nothing(provider, service, settings):
    busy_day_block(provider=provider, start=MONDAY)
    assert free_starts(service, MONDAY, 120, now=NOW) == []
    assert slot_problem(service, _at(MONDAY, 10), _at(MONDAY, 12), now=NOW) == "The provider is not available that day."


def test_a_full_day_offers_nothing_once_the_daily_maximum_is_reached(client_user, provider, service):
    _rules(provider, max_gigs_per_day=1)
    make_booking(client=client_user, service=service, to_state="accepted", starts_at=_at(MONDAY, 10))
    assert free_starts(service, MONDAY, 120, now=NOW) == []
    problem = slot_problem(service, _at(MONDAY, 18), _at(MONDAY, 20), now=NOW)
    assert problem == "The provider takes at most 1 gig a day, and 1 February is full."
    assert free_starts(service, MONDAY + dt.timedelta(days=1), 120, now=NOW)


def test_a_gig_past_midnight_counts_on_both_venue_days(client_user, provider, service):
    _rules(provider, max_gigs_per_day=1)
    make_booking(client=client_user, service=service, to_state="accepted", starts_at=_at(MONDAY, 23))  # to 01:00
    assert free_starts(service, MONDAY, 120, now=NOW) == []
    assert free_starts(service, MONDAY + dt.timedelta(days=1), 120, now=NOW) == []
    assert free_starts(service, MONDAY + dt.timedelta(days=2), 120, now=NOW)


def test_minimum_notice_hides_the_starts_too_soon(provider, service):
    _rules(provider, min_notice_hours=48)
    now = _at(MONDAY, 10)
    assert free_starts(service, MONDAY + dt.timedelta(days=1), 120, now=now) == []
    labels = _labels(free_starts(service, MONDAY + dt.timedelta(days=2), 120, now=now), BERLIN)
    assert labels[0] == "10:00"
    problem = slot_problem(service, _at(MONDAY, 20), _at(MONDAY, 22), now=now)
    assert problem == "The provider needs notice of at least 48 hours: pick a later time."


def test_past_starts_are_never_offered(service):
    now = _at(MONDAY, 12, 10)
    assert _labels(free_starts(service, MONDAY, 60, now=now), BERLIN)[0] == "12:30"


def test_hours_in_the_providers_zone_apply_to_a_venue_in_another(provider):
    lisbon = make_service(provider, city="Lisbon, Portugal", duration_minutes=60)
    assert lisbon.timezone == "Europe/Lisbon"
    _rules(provider, timezone_name="Europe/Berlin")
    weekly_hours_save(provider=provider, week={0: [(T(9), T(12))]})
    # 09:00-12:00 in Berlin is 08:00-11:00 in Lisbon, one hour behind.
    assert _labels(free_starts(lisbon, MONDAY, 60, now=NOW), ZoneInfo("Europe/Lisbon")) == [
        "08:00", "08:30", "09:00", "09:30", "10:00",
    ]  # fmt: skip


def test_hours_to_midnight_and_from_midnight_carry_a_gig_past_midnight(client_user, provider, service):
    weekly_hours_save(provider=provider, week={4: [(T(20), T(0))], 5: [(T(0), T(2))]})
    friday = MONDAY + dt.timedelta(days=4)
    labels = _labels(free_starts(service, friday, 180, now=NOW), BERLIN)
    assert labels == ["20:00", "20:30", "21:00", "21:30", "22:00", "22:30", "23:00"]
    booking = booking_request(
        client=client_user, service=service, starts_at=_at(friday, 23), venue="Club", duration_minutes=180
    )
    assert booking.ends_at == _at(friday + dt.timedelta(days=1), 2)


def test_accepting_a_request_waives_hours_and_notice_but_not_another_gig(client_user, provider, service):
    first = make_booking(client=client_user, service=service, starts_at=_at(MONDAY, 10))
    second = make_booking(client=client_user, service=service, starts_at=_at(MONDAY, 11))
    weekly_hours_save(provider=provider, week={1: [(T(9), T(17))]})  # Mondays no longer worked
    _rules(provider, min_notice_hours=90 * 24)
    from bookings.services import booking_transition

    booking_transition(booking=first, action="accept", actor=provider)
    with pytest.raises(SlotTaken, match="already booked"):
        booking_transition(booking=second, action="accept", actor=provider)


# -- time zones and clock changes -------------------------------------------------------------


def test_berlin_spring_forward_offers_no_time_the_clock_skips(service):
    day = dt.date(2027, 3, 28)  # last Sunday of March: 02:00 becomes 03:00
    labels = _labels(free_starts(service, day, 60, now=NOW), BERLIN)
    assert "02:00" not in labels and "02:30" not in labels
    assert labels[:5] == ["00:00", "00:30", "01:00", "01:30", "03:00"]
    assert len(labels) == len(set(labels)) == 46


def test_berlin_fall_back_offers_each_time_once(service):
    day = dt.date(2027, 10, 31)  # last Sunday of October: 03:00 becomes 02:00
    starts = free_starts(service, day, 60, now=NOW)
    labels = _labels(starts, BERLIN)
    assert len(labels) == len(set(labels)) == 48
    two_thirty = starts[labels.index("02:30")]
    assert two_thirty.astimezone(BERLIN).utcoffset() == dt.timedelta(hours=2)  # the first 02:30, summer time


def test_berlin_a_gig_across_the_skipped_hour_lasts_its_real_length(client_user, service):
    day = dt.date(2027, 3, 28)
    booking = booking_request(
        client=client_user, service=service, starts_at=_at(day, 1), venue="Hall", duration_minutes=120
    )
    assert booking.ends_at.astimezone(BERLIN).time() == T(4)  # two real hours: 01:00 to 04:00 on the wall clock


def test_berlin_hours_on_the_spring_forward_day_hold_one_hour_less(provider, service):
    weekly_hours_save(provider=provider, week={6: [(T(1), T(4))]})
    day = dt.date(2027, 3, 28)
    assert _labels(free_starts(service, day, 60, now=NOW), BERLIN) == ["01:00", "01:30", "03:00"]


@pytest.fixture
def sydney(provider):
    service = make_service(provider, title="Harbour jazz", city="Sydney, Australia", duration_minutes=60)
    assert service.timezone == "Australia/Sydney"
    return service


def test_sydney_spring_forward_in_october_skips_two_oclock(sydney):
    day = dt.date(2027, 10, 3)  # first Sunday of October: 02:00 becomes 03:00
    labels = _labels(free_starts(sydney, day, 60, now=NOW), SYDNEY)
    assert "02:00" not in labels and "02:30" not in labels and labels[4] == "03:00"
    assert len(labels) == len(set(labels)) == 46


def test_sydney_fall_back_in_april_offers_each_time_once(sydney):
    day = dt.date(2027, 4, 4)  # first Sunday of April: 03:00 becomes 02:00
    starts = free_starts(sydney, day, 60, now=NOW)
    labels = _labels(starts, SYDNEY)
    assert len(labels) == len(set(labels)) == 48
    assert starts[labels.index("02:30")].astimezone(SYDNEY).utcoffset() == dt.timedelta(hours=11)


def test_sydney_a_late_gig_holds_both_sydney_days_for_the_daily_maximum(client_user, provider, sydney, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    _rules(provider, max_gigs_per_day=1, timezone_name="Australia/Sydney")
    day = dt.date(2027, 4, 3)  # the night the clocks go back
    make_booking(client=client_user, service=sydney, to_state="accepted", starts_at=_at(day, 22, zone=SYDNEY),
                 duration_minutes=300)  # fmt: skip
    assert free_starts(sydney, day, 60, now=NOW) == []
    assert free_starts(sydney, day + dt.timedelta(days=1), 60, now=NOW) == []
    assert free_starts(sydney, day + dt.timedelta(days=2), 60, now=NOW)


def test_pure_rules_open_intervals_join_across_midnight():
    rules = Rules(zone=BERLIN, weekly={4: [(T(20), T(0))], 5: [(T(0), T(2))]})
    friday = dt.date(2027, 2, 5)
    (interval,) = open_intervals(rules, _at(friday, 21), _at(friday, 23))
    assert interval == (_at(friday, 20), _at(friday + dt.timedelta(days=1), 2))


def test_pure_wall_clock_starts_on_an_ordinary_day():
    assert len(wall_clock_starts(dt.date(2027, 2, 1), BERLIN)) == 48
