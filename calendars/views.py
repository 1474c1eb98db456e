"""Calendar pages: a user's private feed (by token, without a session), one booking's "Add to
calendar" file, a new link for the feed, a provider's import of their own calendar, and a provider's
working-hours editor."""

import datetime as dt
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calendars.busy import WINDOW_AHEAD
from calendars.forms import CalendarImportForm, OverrideForm, RulesForm, WeekFormSet, week_initial
from calendars.ics import CONTENT_TYPE, calendar_ics
from calendars.selectors import (
    busy_import_status,
    calendar_booking_for_user,
    calendar_bookings_for_user,
    calendar_feed_user,
    hours_page,
)
from calendars.services import (
    WEEKDAYS,
    availability_rules_save,
    busy_import_delete,
    busy_import_save,
    calendar_feed_rotate,
    date_override_delete,
    date_override_save,
    weekly_hours_save,
)
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


# The working-hours editor (/dashboard/hours/): plain forms, each posting to its own URL and
# redirecting back; a refused form shows the page again with its errors and nothing saved.


def _provider_only(request: HttpRequest) -> None:
    if not request.user.is_provider:
        raise PermissionDenied("Working hours are for provider accounts.")


def _hours_render(request: HttpRequest, *, week=None, override=None, rules=None) -> HttpResponse:
    page = hours_page(provider=request.user)
    if rules is None:
        row = page.rules
        rules = RulesForm(
            initial={
                "buffer_before_minutes": row.buffer_before_minutes if row else 0,
                "buffer_after_minutes": row.buffer_after_minutes if row else 0,
                "min_notice_hours": row.min_notice_hours if row else 0,
                "max_gigs_per_day": row.max_gigs_per_day if row else None,
                "timezone_name": page.zone,
            }
        )
    week = week or WeekFormSet(prefix="week", initial=week_initial(page.weekly))
    context = {
        "page": page,
        "days": list(zip(WEEKDAYS, week.forms, strict=True)),
        "week": week,
        "override_form": override or OverrideForm(),
        "rules_form": rules,
    }
    return render(request, "calendars/hours.html", context)


@login_required
@require_GET
def hours_edit(request: HttpRequest) -> HttpResponse:
    _provider_only(request)
    return _hours_render(request)


@login_required
@require_POST
def calendar_import_remove(request: HttpRequest) -> HttpResponse:
    if busy_import_delete(provider=request.user):
        messages.success(request, "Your calendar is no longer read, and its busy times no longer block bookings.")
    return redirect("calendars:import")


def hours_week(request: HttpRequest) -> HttpResponse:
    _provider_only(request)
    week = WeekFormSet(data=request.POST, prefix="week")
    if len(week.forms) != len(WEEKDAYS):  # a form not sent by the page: seven days or nothing
        messages.error(request, "The week came back incomplete, so nothing was saved. Please try again.")
        return redirect("calendars:hours")
    if week.is_valid():
        try:
            weekly_hours_save(provider=request.user, week=week.week())
        except ValidationError as exc:
            week.non_form_errors().extend(m for ms in exc.message_dict.values() for m in ms)
        else:
            messages.success(
                request, "Weekly hours saved." if week.week() else "Weekly hours cleared: clients may ask for any time."
            )
            return redirect("calendars:hours")
    return _hours_render(request, week=week)


@login_required
@require_POST
def hours_rules(request: HttpRequest) -> HttpResponse:
    _provider_only(request)
    form = RulesForm(data=request.POST)
    if form.is_valid() and form_submit(form, availability_rules_save, provider=request.user, **form.cleaned_data,
                                       rename={"timezone": "timezone_name"}):  # fmt: skip
        messages.success(request, "Rules saved.")
        return redirect("calendars:hours")
    return _hours_render(request, rules=form)


@login_required
@require_POST
def hours_override(request: HttpRequest) -> HttpResponse:
    _provider_only(request)
    form = OverrideForm(data=request.POST)
    if form.is_valid() and form_submit(form, date_override_save, provider=request.user, date=form.cleaned_data["date"],
                                       ranges=form.cleaned_data["ranges"], rename={"ranges": "starts"}):  # fmt: skip
        day = form.cleaned_data["date"]
        messages.success(
            request,
            f"{day:%-d %b %Y} has its own hours." if form.cleaned_data["ranges"] else f"{day:%-d %b %Y} is a day off.",
        )
        return redirect("calendars:hours")
    return _hours_render(request, override=form)


@login_required
@require_POST
def hours_override_delete(request: HttpRequest, date: str) -> HttpResponse:
    _provider_only(request)
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        day = None
    if day is None or not date_override_delete(provider=request.user, date=day):
        messages.error(request, "That date had no hours of its own.")
    else:
        messages.success(request, f"{day:%-d %b %Y} follows your weekly hours again.")
    return redirect("calendars:hours")
