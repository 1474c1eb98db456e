"""Reading what the calendar answers with the icalendar library, as a calendar app would."""

from icalendar import Calendar


def events_of(response) -> dict[str, object]:
    """The VEVENTs of an iCalendar answer, by UID."""
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in cal.walk("VEVENT")}
