"""From a provider's iCalendar file to the times they are busy: pure functions, no database.

Recurring events are expanded with recurring_ical_events (RRULE, RDATE, EXDATE, and
RECURRENCE-ID overrides) over WINDOW_PAST … WINDOW_AHEAD around now. What counts as busy is
what a calendar app shows as busy: not TRANSP:TRANSPARENT ("free") events, not cancelled
ones, not GigSta's own bookings (a provider who subscribed their calendar to their GigSta feed
gets those back; the bookings block the time already). All-day events cover their days from
midnight to midnight in the provider's time zone, and so do times without a zone (floating);
times with a TZID or in UTC are where they say, across DST changes too. Everything comes out
in UTC.
"""

import datetime as dt
from typing import NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import recurring_ical_events
from django.conf import settings
from icalendar import Calendar

from calendars.fetch import FeedProblem

WINDOW_PAST = dt.timedelta(days=1)
WINDOW_AHEAD = dt.timedelta(days=180)
MAX_BUSY = 2500  # busy times kept from one calendar (a daily event for 180 days is 180)
MAX_EVENTS = 2 * MAX_BUSY  # occurrences looked at, busy or not (the expansion slows down past ~5,000)
SLACK = dt.timedelta(days=1)


class Busy(NamedTuple):
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC
    all_day: bool


def calendar_parse(body: bytes) -> Calendar:
    """The calendar in `body`; FeedProblem when it is not one."""
    not_ical = FeedProblem("not_icalendar", "This is not an iCalendar file.")
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR"):
        raise not_ical
    try:
        calendar = Calendar.from_ical(body)
    except Exception:  # icalendar raises ValueError and others for broken files
        raise not_ical from None
    if not isinstance(calendar, Calendar):
        raise not_ical
    return calendar


def _ours(event) -> bool:
    uid = str(event.get("UID", ""))
    return uid.startswith("booking-") and uid.endswith("@" + (urlsplit(settings.SITE_URL).hostname or ""))


def _busy(event) -> bool:
    return (
        str(event.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT"
        and str(event.get("STATUS", "")).upper() != "CANCELLED"
        and not _ours(event)
    )


def _utc(value: dt.date | dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A DATE as midnight in `zone`; a floating time in `zone`; an aware time as it is; in UTC."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC)


def _interval(event, zone: ZoneInfo) -> Busy | None:
    start = event.get("DTSTART")
    if start is None:
        return None
    start = start.dt
    all_day = not isinstance(start, dt.datetime)
    if event.get("DTEND") is not None:
        end = event["DTEND"].dt
    elif event.get("DURATION") is not None:
        end = start + event["DURATION"].dt
    else:  # RFC 5545: a day for a DATE, nothing for a time
        end = start + dt.timedelta(days=1) if all_day else start
    starts_at, ends_at = _utc(start, zone), _utc(end, zone)
    return Busy(starts_at, ends_at, all_day) if ends_at > starts_at else None


def busy_times(calendar: Calendar, *, zone: str, now: dt.datetime) -> list[Busy]:
    """The busy times of `calendar` that end after now - WINDOW_PAST and start before
    now + WINDOW_AHEAD, soonest first; `zone` is the provider's. FeedProblem past MAX_BUSY."""
    tz = ZoneInfo(zone)
    start, end = now - WINDOW_PAST, now + WINDOW_AHEAD
    too_many = FeedProblem(
        "too_many_events", f"The calendar has more than {MAX_BUSY:,} busy times in the next {WINDOW_AHEAD.days} days."
    )
    found: set[Busy] = set()
    try:  # occurrences in the order they start: stop past the window, or past MAX_EVENTS of them
        for seen, event in enumerate(recurring_ical_events.of(calendar, skip_bad_series=True).after(start)):
            if seen > MAX_EVENTS:
                raise too_many
            if (busy := _interval(event, tz)) is None or not _busy(event):
                continue
            if busy.starts_at >= end + SLACK:  # floating and all-day times may sort a day apart
                break
            if busy.ends_at > start and busy.starts_at < end:
                found.add(busy)
                if len(found) > MAX_BUSY:
                    raise too_many
    except FeedProblem:
        raise
    except Exception:  # a rule the library cannot read: the file is broken, not our code
        raise FeedProblem("not_icalendar", "This calendar has events that cannot be read.") from None
    return sorted(found)


def whole_days(busy: list[Busy], *, zone: str) -> list[dt.date]:
    """The days (in `zone`) that the busy times fill from midnight to midnight, together."""
    tz = ZoneInfo(zone)
    days: set[dt.date] = set()
    merged: list[list[dt.datetime]] = []
    for b in sorted(busy):
        if merged and b.starts_at <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b.ends_at)
        else:
            merged.append([b.starts_at, b.ends_at])
    for starts_at, ends_at in merged:
        local_start, local_end = starts_at.astimezone(tz), ends_at.astimezone(tz)
        day = local_start.date()
        if local_start > _midnight(day, tz):
            day += dt.timedelta(days=1)  # starts during a day: that day is not full
        while _midnight(day + dt.timedelta(days=1), tz) <= local_end:
            days.add(day)
            day += dt.timedelta(days=1)
    return sorted(days)


def _midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)
