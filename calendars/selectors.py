"""Reads for calendars: whose feed a token opens, which bookings a calendar shows, the busy
times imported from a provider's own calendar, and the free start times of a service on a day."""

import datetime as dt
from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bookings.models import MAX_YEARS_AHEAD, Booking, BookingEvent
from bookings.selectors import booking_get_for_user
from bookings.state_machine import HOLDING_STATES, State
from calendars.availability import free_starts
from calendars.models import AvailabilityRules, BusyImport, CalendarFeed, DateOverride, ImportedBusy, WeeklyHours
from catalog.models import Service
from catalog.pricing import quote

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


SLOTS_MAX_DAYS_AHEAD = 365 * MAX_YEARS_AHEAD


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # in the venue's zone, with its offset
    ends_at: dt.datetime
    label: str  # "HH:MM" on the venue's clock


@dataclass(frozen=True)
class Slots:
    """The free start times of a service on one venue date, for the slots API and the picker."""

    date: dt.date
    timezone: str
    duration_minutes: int
    has_hours: bool  # False: the provider set no working hours, any time may be asked for
    slots: list[Slot]


def service_slots(*, service: Service, date: dt.date, duration_minutes: int | None, now: dt.datetime) -> Slots:
    """The free starts of `service` on `date` (a day of its venue's time zone) for a gig of
    `duration_minutes` (the service's usual length when None). Raises ValidationError for a past
    date, one too far ahead, or a length the service does not take."""
    duration = service.duration_minutes if duration_minutes is None else duration_minutes
    venue = ZoneInfo(service.timezone)
    today = now.astimezone(venue).date()
    errors = {}
    if date < today:
        errors["date"] = [f"Pick today ({today:%Y-%m-%d} in {service.timezone}) or a later date."]
    elif date > today + dt.timedelta(days=SLOTS_MAX_DAYS_AHEAD):
        errors["date"] = [f"Pick a date within the next {MAX_YEARS_AHEAD} years."]
    if problem := quote(service, duration).problem:
        errors["duration_minutes"] = [problem]
    if errors:
        raise ValidationError(errors)
    length = dt.timedelta(minutes=duration)
    starts = free_starts(service, date, duration, now=now)
    slots = [
        Slot(local, (s + length).astimezone(venue), f"{local:%H:%M}") for s in starts if (local := s.astimezone(venue))
    ]
    has_hours = provider_has_hours(provider_id=service.provider_id)
    return Slots(date=date, timezone=service.timezone, duration_minutes=duration, has_hours=has_hours, slots=slots)


@dataclass(frozen=True)
class HoursPage:
    """What the working-hours editor shows a provider."""

    weekly: dict[int, list[tuple[dt.time, dt.time]]]
    overrides: list[tuple[dt.date, list[tuple[dt.time, dt.time]]]]  # upcoming dates, [] a day off
    rules: AvailabilityRules | None
    zone: str  # the zone the hours are read in: the rules', else the provider's services', else the site's

    @property
    def has_hours(self) -> bool:
        return bool(self.weekly)


def hours_default_zone(provider: User) -> str:
    zone = Service.objects.filter(provider=provider).order_by("created_at").values_list("timezone", flat=True).first()
    return zone or settings.TIME_ZONE


def hours_page(*, provider: User) -> HoursPage:
    weekly: dict[int, list] = {}
    for row in WeeklyHours.objects.filter(provider=provider):
        weekly.setdefault(row.weekday, []).append((row.starts, row.ends))
    overrides: dict[dt.date, list] = {}
    for row in DateOverride.objects.filter(provider=provider, date__gte=timezone.localdate()):
        ranges = overrides.setdefault(row.date, [])
        if not row.closed:
            ranges.append((row.starts, row.ends))
    rules = AvailabilityRules.objects.filter(provider=provider).first()
    zone = rules.timezone if rules else hours_default_zone(provider)
    return HoursPage(weekly=weekly, overrides=sorted(overrides.items()), rules=rules, zone=zone)


def provider_has_hours(*, provider_id: int) -> bool:
    """Whether the provider set weekly hours: then clients pick a free start, else they type any time."""
    return WeeklyHours.objects.filter(provider_id=provider_id).exists()
