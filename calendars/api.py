import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from accounts.api import ErrorOut
from calendars.models import MAX_URL_LENGTH
from calendars.selectors import ImportStatus, busy_import_status, calendar_feed_url, service_slots
from calendars.services import busy_import_delete, busy_import_save, calendar_feed_ensure, calendar_feed_rotate
from calendars.views import booking_ics_response
from catalog.selectors import service_get_public
from gigsta.errors import NotFound
from gigsta.schemas import InputSchema

router = Router(tags=["calendars"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
ICS_ANSWER = {
    "responses": {200: {"description": "One VEVENT", "content": {"text/calendar": {"schema": {"type": "string"}}}}}
}


class CalendarOut(Schema):
    feed_url: str = Field(
        description="Your private iCalendar feed: subscribe to it in a calendar app. Anyone with the URL can "
        "read your gigs; POST /api/me/calendar/rotate replaces it."
    )


@router.get("/bookings/{booking_id}/ics", response=ERRORS, operation_id="booking_ics_api", openapi_extra=ICS_ANSWER)
def booking_ics_api(request: HttpRequest, booking_id: UUID):
    """The booking as a calendar file (text/calendar): one VEVENT whose UID stays the booking's, times in UTC."""
    return booking_ics_response(request.auth, booking_id)


@router.get("/me/calendar", response={200: CalendarOut, **ERRORS}, operation_id="calendar_feed_api")
def calendar_feed_api(request: HttpRequest):
    """The caller's private calendar feed: their holding and confirmed bookings (a client's requests too)."""
    return {"feed_url": calendar_feed_url(calendar_feed_ensure(user=request.auth))}


@router.post("/me/calendar/rotate", response={200: CalendarOut, **ERRORS}, operation_id="calendar_rotate_api")
def calendar_rotate_api(request: HttpRequest):
    """A new feed URL; the old one answers 404 from now on."""
    return {"feed_url": calendar_feed_url(calendar_feed_rotate(user=request.auth))}


class CalendarImportIn(InputSchema):
    url: str = Field(
        max_length=MAX_URL_LENGTH + 100,
        description="The http(s) address of your calendar's .ics feed (webcal:// is read as https://).",
    )


class BusyTimeOut(Schema):
    starts_at: dt.datetime = Field(description="In your time zone (time_zone)")
    ends_at: dt.datetime
    all_day: bool


class CalendarImportOut(Schema):
    url: str
    time_zone: str = Field(description="Your time zone: all-day and floating events are read in it")
    last_fetched_at: dt.datetime | None
    last_ok_at: dt.datetime | None = Field(description="The last fetch that read the calendar")
    last_error: str | None = Field(description="What is wrong with the feed, in words for you; null when it works")
    last_error_code: str | None = Field(
        description="private_address, too_large, not_icalendar, too_many_redirects, timeout, http_status, "
        "unreachable, unknown_host, bad_scheme, tls, too_many_events"
    )
    event_count: int = Field(description="Busy times stored, in the next 180 days")
    next_fetch_at: dt.datetime | None
    upcoming: list[BusyTimeOut] = Field(description="The next 10 busy times")


def _import_out(status: ImportStatus) -> dict:
    imp = status.busy_import
    if imp is None:
        raise NotFound("You have no calendar import: PUT your calendar's address first.")
    return {
        "url": imp.url,
        "time_zone": status.zone,
        "last_fetched_at": imp.last_fetched_at,
        "last_ok_at": imp.last_ok_at,
        "last_error": imp.last_error or None,
        "last_error_code": imp.last_error_code or None,
        "event_count": imp.event_count,
        "next_fetch_at": imp.next_fetch_at,
        "upcoming": [vars(b) for b in status.upcoming],
    }


IMPORT_ERRORS = {**ERRORS, 422: ErrorOut}


@router.get("/me/calendar-import", response={200: CalendarImportOut, **ERRORS}, operation_id="calendar_import_api")
def calendar_import_api(request: HttpRequest):
    """Your calendar import (providers): its address, the last fetch, what is wrong with the feed if
    anything, and the next busy times. 404 before you set one up."""
    return _import_out(busy_import_status(provider=request.auth, now=timezone.now()))


@router.put(
    "/me/calendar-import", response={200: CalendarImportOut, **IMPORT_ERRORS}, operation_id="calendar_import_set_api"
)
def calendar_import_set_api(request: HttpRequest, payload: CalendarImportIn):
    """Set your calendar's address (checked at once) and read it in the background: GET shows
    what was found. Busy times block bookings; whole busy days hide you from that day's search."""
    busy_import_save(provider=request.auth, url=payload.url)
    return _import_out(busy_import_status(provider=request.auth, now=timezone.now()))


@router.delete("/me/calendar-import", response={204: None, **ERRORS}, operation_id="calendar_import_delete_api")
def calendar_import_delete_api(request: HttpRequest):
    """Stop reading your calendar; its busy times stop blocking at once."""
    if not busy_import_delete(provider=request.auth):
        raise NotFound("You have no calendar import.")
    return Status(204, None)


class SlotsIn(InputSchema):
    date: dt.date = Field(description="A day of the venue's time zone (YYYY-MM-DD), today or later.")
    duration_minutes: int | None = Field(
        None, description="The gig's length; the service's usual length when left out (hourly services take others)."
    )


class SlotOut(Schema):
    starts_at: dt.datetime = Field(description="ISO 8601 with the venue's offset that day.")
    ends_at: dt.datetime
    label: str = Field(description="The start on the venue's clock, HH:MM.")


@router.get(
    "/services/{service_id}/slots",
    auth=None,
    response={200: list[SlotOut], 404: ErrorOut, 422: ErrorOut},
    operation_id="service_slots_api",
)
def service_slots_api(request: HttpRequest, service_id: UUID, query: Query[SlotsIn]):
    """The start times on a date at which the service can be requested, every half hour of the venue's
    clock: inside the provider's working hours and date overrides, clear of their gigs and the buffers
    around them, past their minimum notice, on a day they have not blocked nor filled. A time the clock
    skips on a daylight-saving change is never offered; a time it shows twice is offered once (the first).
    The same rules decide `POST /api/bookings` (409 `slot_taken` with the reason otherwise). Each time
    carries the venue's offset that day; a provider without working hours has every half hour not
    taken. As API.md 1.1 promises, the answer is the list itself."""
    service = service_get_public(public_id=service_id)
    found = service_slots(service=service, date=query.date, duration_minutes=query.duration_minutes, now=timezone.now())
    return found.slots
