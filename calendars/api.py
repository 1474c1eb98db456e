from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema

from accounts.api import ErrorOut
from calendars.selectors import calendar_feed_url
from calendars.services import calendar_feed_ensure, calendar_feed_rotate
from calendars.views import booking_ics_response

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
