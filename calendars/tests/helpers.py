"""Reading what the calendar answers with the icalendar library, as a calendar app would."""

import datetime as dt

from icalendar import Calendar


def events_of(response) -> dict[str, object]:
    """The VEVENTs of an iCalendar answer, by UID."""
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in cal.walk("VEVENT")}


def ics_of(*events: str) -> bytes:
    """A calendar file with `events`, each the lines inside a VEVENT (see timed and all_day)."""
    body = "".join(f"BEGIN:VEVENT\r\nDTSTAMP:20261101T000000Z\r\n{e}END:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//GigSta tests//EN\r\n{body}END:VCALENDAR\r\n".encode()


def timed(uid: str, start, end) -> str:
    """A VEVENT's lines for `start`…`end` (aware datetimes), in UTC."""
    start, end = (t.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") for t in (start, end))
    return f"UID:{uid}\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"


def all_day(uid: str, day, days: int = 1) -> str:
    """A VEVENT's lines for `days` whole days from `day`."""
    end = day + dt.timedelta(days=days)
    return f"UID:{uid}\r\nDTSTART;VALUE=DATE:{day:%Y%m%d}\r\nDTEND;VALUE=DATE:{end:%Y%m%d}\r\n"
