"""Calendar pages: a user's private feed (by token, without a session), one booking's "Add to
calendar" file, and a new link for the feed."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from calendars.ics import CONTENT_TYPE, calendar_ics
from calendars.selectors import calendar_booking_for_user, calendar_bookings_for_user, calendar_feed_user
from calendars.services import calendar_feed_rotate


def ics_response(body: bytes, *, filename: str, download: bool = False) -> HttpResponse:
    """An iCalendar answer: private to whoever asked, never indexed."""
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    response["Content-Disposition"] = f'{"attachment" if download else "inline"}; filename="{filename}"'
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed calendar apps subscribe to: the token is the only credential, the session is not read."""
    user = calendar_feed_user(token=token)
    bookings = calendar_bookings_for_user(user=user, now=timezone.now())
    return ics_response(
        calendar_ics(bookings, name=f"GigSta: {user.display_name}", user_id=user.pk), filename="gigsta.ics"
    )


def booking_ics_response(user, booking_id: UUID) -> HttpResponse:
    """One booking as a calendar file, for its parties and staff (the page and the API)."""
    booking = calendar_booking_for_user(user=user, public_id=booking_id)
    body = calendar_ics([booking], name=f"GigSta {booking.reference}", user_id=user.pk)
    return ics_response(body, filename=f"gigsta-{booking.reference}.ics", download=True)


@login_required
@require_GET
def booking_calendar(request: HttpRequest, booking_id: UUID) -> HttpResponse:
    return booking_ics_response(request.user, booking_id)


@login_required
@require_POST
def calendar_rotate(request: HttpRequest) -> HttpResponse:
    calendar_feed_rotate(user=request.user)
    messages.success(request, "Your calendar has a new link. Calendars subscribed to the old one no longer update.")
    return redirect(reverse("accounts:profile") + "#calendar")
