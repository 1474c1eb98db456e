"""Bookings as iCalendar (RFC 5545), built with the icalendar library: one VEVENT per booking.

A calendar app recognises an event by its UID and takes a higher SEQUENCE as a newer version of
it, so the UID is the booking's own id and the SEQUENCE counts the booking's changes (its
BookingEvents after the request: a new time accepted raises it too, and DTSTART/DTEND follow the
booking's times). Times are in UTC; the venue's local time is in the text.
"""

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event

from bookings.models import Booking
from bookings.state_machine import State
from catalog.templatetags.catalog_tags import money

PRODID = "-//GigSta//Bookings//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"
# What a calendar shows for each state: the gig is on, not settled yet, or off.
STATUS = {
    State.REQUESTED: "TENTATIVE",
    State.OFFERED: "TENTATIVE",
    State.ACCEPTED: "TENTATIVE",
    State.DEPOSIT_PAID: "CONFIRMED",
    State.CONFIRMED: "CONFIRMED",
    State.COMPLETED: "CONFIRMED",
    State.DISPUTED: "CONFIRMED",
    State.DECLINED: "CANCELLED",
    State.CANCELLED: "CANCELLED",
    State.EXPIRED: "CANCELLED",
    State.REFUNDED: "CANCELLED",
}


def booking_uid(booking: Booking) -> str:
    """The event's UID: the same for the booking's whole life, in every feed and download."""
    return f"booking-{booking.public_id}@{urlsplit(settings.SITE_URL).hostname}"


def _event(booking: Booking, *, sequence: int, user_id: int | None) -> Event:
    provider_view = user_id == booking.provider_id
    other = booking.client.display_name if provider_view else booking.provider.display_name
    title = booking.service.title
    local = booking.starts_at.astimezone(ZoneInfo(booking.service.timezone))
    page = settings.SITE_URL + reverse("bookings:detail", args=[booking.public_id])
    lines = [
        f"{'Client' if provider_view else 'Provider'}: {other}",
        f"Starts {local:%a %-d %b %Y, %H:%M} local time in {booking.service.city} ({booking.service.timezone})",
        f"Price: {money(booking.price_minor, booking.currency)}",
        f"State: {booking.get_state_display()}",
        f"Reference: {booking.reference}",
        page,
    ]
    # The last change: the newest event (calendars.selectors annotates it), or the last change of state.
    changed = max(booking.updated_at, getattr(booking, "changed_at", None) or booking.updated_at)
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", sequence)
    event.add("dtstamp", changed.astimezone(dt.UTC))
    event.add("last-modified", changed.astimezone(dt.UTC))
    event.add("dtstart", booking.starts_at.astimezone(dt.UTC))
    event.add("dtend", booking.ends_at.astimezone(dt.UTC))
    event.add("summary", f"{title} · {other}")
    event.add("location", booking.venue)
    event.add("description", "\n".join(lines))
    event.add("url", page)
    event.add("status", STATUS[State(booking.state)])
    event.add("transp", "TRANSPARENT" if STATUS[State(booking.state)] == "CANCELLED" else "OPAQUE")
    return event


def calendar_ics(bookings, *, name: str, user_id: int | None) -> bytes:
    """An iCalendar file of `bookings`, each with its `sequence` (calendars.selectors annotates
    it), worded for the user `user_id` (the other party is named; None: staff)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for booking in bookings:
        cal.add_component(_event(booking, sequence=booking.sequence, user_id=user_id))
    return cal.to_ical()
