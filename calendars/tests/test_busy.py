"""Busy times from real iCalendar files: recurring events, overrides, all-day and floating
events, the DST change, and what is not busy."""

import datetime as dt

import pytest

from calendars.busy import Busy, busy_times, calendar_parse, whole_days
from calendars.fetch import FeedProblem
from calendars.tests.feed_server import FEEDS

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
BERLIN = "Europe/Berlin"


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def _busy(name: str, zone: str = BERLIN, now: dt.datetime = NOW) -> list[Busy]:
    return busy_times(calendar_parse((FEEDS / name).read_bytes()), zone=zone, now=now)


def test_a_weekly_event_repeats_without_the_excluded_date_and_with_the_moved_one():
    starts = [b.starts_at for b in _busy("berlin-weekly.ics")]
    assert starts[:4] == [
        utc(2026, 12, 1, 18),  # Tuesday 19:00 in Berlin (winter, UTC+1)
        # 8 December: EXDATE
        utc(2026, 12, 16, 17),  # the 15 December rehearsal moved to Wednesday 18:00 (RECURRENCE-ID)
        utc(2026, 12, 22, 18),
        utc(2026, 12, 29, 18),
    ]
    assert utc(2026, 12, 8, 18) not in starts and utc(2026, 12, 15, 18) not in starts


def test_a_weekly_event_keeps_its_local_time_across_the_dst_change():
    busy = {b.starts_at: b for b in _busy("berlin-weekly.ics")}
    assert utc(2027, 3, 23, 18) in busy  # 19:00 CET
    assert utc(2027, 3, 30, 17) in busy  # 19:00 CEST, an hour earlier in UTC
    assert busy[utc(2027, 3, 30, 17)].ends_at == utc(2027, 3, 30, 19)


def test_recurring_events_reach_180_days_ahead_and_no_further():
    busy = _busy("berlin-weekly.ics")
    assert busy[-1].starts_at < NOW + dt.timedelta(days=180) <= busy[-1].starts_at + dt.timedelta(days=7)
    assert len(busy) == 25  # 26 Tuesdays from 1 December to 25 May, less the excluded one


def test_the_window_moves_with_now():
    later = _busy("berlin-weekly.ics", now=NOW + dt.timedelta(days=70))
    assert later[0].starts_at == utc(2027, 2, 9, 18)


def test_all_day_events_cover_their_days_in_the_providers_zone():
    busy = _busy("mixed.ics")
    christmas = Busy(utc(2026, 12, 23, 23), utc(2026, 12, 26, 23), True)  # 24, 25, 26 December (DTEND excluded)
    new_year = Busy(utc(2026, 12, 31, 23), utc(2027, 1, 1, 23), True)  # a DATE without DTEND: one day
    assert christmas in busy and new_year in busy
    assert whole_days(busy, zone=BERLIN) == [
        dt.date(2026, 12, 24),
        dt.date(2026, 12, 25),
        dt.date(2026, 12, 26),
        dt.date(2027, 1, 1),
    ]


def test_all_day_events_follow_the_providers_zone():
    busy = _busy("mixed.ics", zone="Australia/Sydney")
    assert Busy(utc(2026, 12, 23, 13), utc(2026, 12, 26, 13), True) in busy  # midnight in Sydney (UTC+11)


def test_an_event_across_the_dst_change_lasts_its_real_length():
    busy = _busy("mixed.ics")
    # 01:30 CET to 04:00 CEST on 28 March 2027: the clocks jump from 02:00 to 03:00, 1 h 30 min.
    night = [b for b in busy if b.starts_at.date() == dt.date(2027, 3, 28)]
    assert night == [Busy(utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 2), False)]


def test_a_floating_time_is_read_in_the_providers_zone():
    dinner = Busy(utc(2026, 12, 5, 19), utc(2026, 12, 5, 21), False)  # 20:00 in Berlin
    assert dinner in _busy("mixed.ics")
    assert Busy(utc(2026, 12, 5, 9), utc(2026, 12, 5, 11), False) in _busy("mixed.ics", zone="Australia/Sydney")


def test_utc_times_and_durations():
    assert Busy(utc(2026, 12, 10, 15), utc(2026, 12, 10, 16, 30), False) in _busy("mixed.ics")


def test_free_cancelled_past_and_gigsta_events_are_not_busy(settings):
    settings.SITE_URL = "https://gigsta.test"
    days = {b.starts_at.date() for b in _busy("mixed.ics")}
    assert dt.date(2026, 12, 11) not in days  # TRANSP:TRANSPARENT
    assert dt.date(2026, 12, 12) not in days  # STATUS:CANCELLED
    assert dt.date(2026, 12, 13) not in days  # a GigSta booking from the provider's own feed
    assert dt.date(2025, 1, 1) not in days  # before the window
    assert len(_busy("mixed.ics")) == 5


def test_another_sites_booking_uid_is_busy(settings):
    settings.SITE_URL = "https://elsewhere.test"
    assert dt.date(2026, 12, 13) in {b.starts_at.date() for b in _busy("mixed.ics")}


def test_whole_days_need_midnight_to_midnight():
    evening = Busy(utc(2026, 12, 5, 19), utc(2026, 12, 6, 23), False)  # Sat 20:00 to Mon 00:00 Berlin
    assert whole_days([evening], zone=BERLIN) == [dt.date(2026, 12, 6)]
    # two events that meet fill the day together
    morning = Busy(utc(2026, 12, 7, 23), utc(2026, 12, 8, 11), False)
    afternoon = Busy(utc(2026, 12, 8, 11), utc(2026, 12, 8, 23), False)
    assert whole_days([morning, afternoon], zone=BERLIN) == [dt.date(2026, 12, 8)]
    assert whole_days([morning], zone=BERLIN) == []


@pytest.mark.parametrize(
    "body",
    [
        (FEEDS / "not-a-calendar.html").read_bytes(),
        b"",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"BEGIN:VCALENDAR\r\nthis is not a property line at all\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Someone\r\nEND:VCARD\r\n",
    ],
)
def test_what_is_not_icalendar(body):
    with pytest.raises(FeedProblem) as caught:
        calendar_parse(body)
    assert (caught.value.code, caught.value.message) == ("not_icalendar", "This is not an iCalendar file.")


def test_too_many_busy_times_is_a_problem_with_the_feed():
    minutely = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:m@x\r\n"
        b"DTSTAMP:20261101T000000Z\r\nDTSTART:20261201T000000Z\r\nDTEND:20261201T000100Z\r\n"
        b"RRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with pytest.raises(FeedProblem) as caught:
        busy_times(calendar_parse(minutely), zone=BERLIN, now=NOW)
    assert caught.value.message == "The calendar has more than 2,500 busy times in the next 180 days."
