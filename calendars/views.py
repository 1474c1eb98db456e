"""Calendar pages: a user's private feed (by token, without a session), one booking's "Add to
calendar" file, a new link for the feed, and a provider's import of their own calendar."""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calendars.busy import WINDOW_AHEAD
from calendars.forms import CalendarImportForm
from calendars.ics import CONTENT_TYPE, calendar_ics
from calendars.selectors import (
    busy_import_status,
    calendar_booking_for_user,
    calendar_bookings_for_user,
    calendar_feed_user,
)
from calendars.services import busy_import_delete, busy_import_save, calendar_feed_rotate
from gigsta.forms import form_submit


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


@login_required
@require_http_methods(["GET", "POST"])
def calendar_import(request: HttpRequest) -> HttpResponse:
    """The provider's calendar import: its address, what the last fetch found or what went wrong."""
    status = busy_import_status(provider=request.user, now=timezone.now())
    current = status.busy_import
    form = CalendarImportForm(
        data=request.POST if request.method == "POST" else None, initial={"url": current.url if current else ""}
    )
    saved = (
        request.method == "POST"
        and form.is_valid()
        and form_submit(form, busy_import_save, provider=request.user, url=form.cleaned_data["url"])
    )
    if saved:
        messages.success(request, "Saved. GigSta reads your calendar in the background: this page shows what it found.")
        return redirect("calendars:import")
    return render(
        request,
        "calendars/calendar_import.html",
        {"form": form, "status": status, "every": settings.CALENDAR_IMPORT_EVERY_MINUTES, "window": WINDOW_AHEAD.days},
    )


@login_required
@require_POST
def calendar_import_remove(request: HttpRequest) -> HttpResponse:
    if busy_import_delete(provider=request.user):
        messages.success(request, "Your calendar is no longer read, and its busy times no longer block bookings.")
    return redirect("calendars:import")
