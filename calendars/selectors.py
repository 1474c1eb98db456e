"""Reads for calendars: whose feed a token opens, which bookings a calendar shows, and the busy
times imported from a provider's own calendar."""

import datetime as dt
from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from accounts.models import User
from bookings.models import Booking, BookingEvent
from bookings.selectors import booking_get_for_user
from bookings.state_machine import HOLDING_STATES, State
from calendars.models import BusyImport, CalendarFeed, ImportedBusy
from catalog.models import Service

# How far back a feed reaches: old gigs stay in the calendars that have them already.
FEED_PAST = dt.timedelta(days=180)
# A provider's calendar shows the gigs they have taken; requests and offers are not gigs yet.
TAKEN_STATES = (*HOLDING_STATES, State.COMPLETED, State.DISPUTED)
RELEASED_STATES = (State.CANCELLED, State.DECLINED, State.EXPIRED, State.REFUNDED)
TOKEN_MAX_LENGTH = 64


def _with_sequence(qs: QuerySet[Booking]) -> QuerySet[Booking]:
    """Each booking's SEQUENCE: its changes since the request (one BookingEvent each, a new time
    proposed or accepted included), and when the last of them happened (`changed_at`: a new
    time accepted moves the gig without changing its state)."""
    return qs.annotate(sequence=Count("events") - 1, changed_at=Max("events__created_at")).select_related(
        "service", "client", "provider"
    )


def calendar_feed_user(*, token: str) -> User:
    """The active user whose feed `token` opens; not found for an old (rotated) or wrong token."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise Http404("No such calendar.")
    feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if feed is None:
        raise Http404("No such calendar.")
    return feed.user


def calendar_feed_url(feed: CalendarFeed) -> str:
    return settings.SITE_URL + reverse("calendars:feed", args=[feed.token])


def calendar_bookings_for_user(*, user: User, now: dt.datetime) -> QuerySet[Booking]:
    """What the user's feed shows, soonest first: a client's bookings in every state; a provider's
    gigs once taken, and those taken then called off (as cancelled, so calendars drop them). Gigs
    that ended more than FEED_PAST ago are left out."""
    was_held = Exists(BookingEvent.objects.filter(booking=OuterRef("pk"), to_state__in=HOLDING_STATES))
    provider_side = Q(provider=user) & (Q(state__in=TAKEN_STATES) | (Q(state__in=RELEASED_STATES) & was_held))
    qs = Booking.objects.filter(Q(client=user) | provider_side, ends_at__gte=now - FEED_PAST)
    return _with_sequence(qs).order_by(F("starts_at").asc(), "pk")


def calendar_booking_for_user(*, user: User, public_id: UUID) -> Booking:
    """One booking for "Add to calendar", for its parties and staff; not found for anyone else."""
    booking = booking_get_for_user(user=user, public_id=public_id)
    return _with_sequence(Booking.objects.filter(pk=booking.pk)).get()


def provider_zone(provider_id: int) -> str:
    """The time zone a provider lives by: their latest active service's (where they work), else
    the site's. All-day and floating events of their calendar are read in it."""
    services = Service.objects.filter(provider_id=provider_id).order_by("-is_active", "-created_at", "-pk")
    return services.values_list("timezone", flat=True).first() or settings.TIME_ZONE


def imported_busy(provider_id: int, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The times, in UTC and soonest first, that the provider's own calendar says they are busy
    and that overlap [start, end): for the slot calculator and anything that offers times."""
    rows = ImportedBusy.objects.filter(provider_id=provider_id, starts_at__lt=end, ends_at__gt=start)
    return list(rows.order_by("starts_at", "ends_at").values_list("starts_at", "ends_at"))


@dataclass(frozen=True)
class BusyTime:
    starts_at: dt.datetime  # in the provider's time zone
    ends_at: dt.datetime
    all_day: bool

    @property
    def last_day(self) -> dt.date:
        """The last day it touches (an all-day event ends at the next midnight)."""
        return (self.ends_at - dt.timedelta(microseconds=1)).date()


@dataclass(frozen=True)
class ImportStatus:
    """What the calendar-import page and GET /api/me/calendar-import show."""

    busy_import: BusyImport | None
    zone: str
    upcoming: list[BusyTime]


UPCOMING_SHOWN = 10
NOT_A_PROVIDER = "Importing a calendar is for provider accounts."


def busy_import_status(*, provider: User, now: dt.datetime) -> ImportStatus:
    """The provider's import (None before they set one up) and its next busy times in their zone.
    PermissionDenied for anyone but a provider."""
    if not provider.is_provider:
        raise PermissionDenied(NOT_A_PROVIDER)
    busy_import = BusyImport.objects.filter(provider=provider).first()
    zone = provider_zone(provider.pk)
    upcoming: list[BusyTime] = []
    if busy_import is not None:
        tz = ZoneInfo(zone)
        rows = busy_import.intervals.filter(ends_at__gt=now).order_by("starts_at", "ends_at")[:UPCOMING_SHOWN]
        upcoming = [BusyTime(r.starts_at.astimezone(tz), r.ends_at.astimezone(tz), r.all_day) for r in rows]
    return ImportStatus(busy_import, zone, upcoming)
