"""When a provider can take a gig: the one place that decides.

`slot_problem` says why a gig at a given time cannot be requested (or None), `free_starts` lists
the start times on a venue date that can. The booking service (under the provider lock), the slots
API, the booking form's slot picker all read these two; search asks the same questions of whole
days in SQL (catalog.selectors.free_on).

The rules, each a small pure function below so tests can drive them without a database:
- working hours per weekday, in the zone of the provider's rules; a date override replaces a
  weekday's hours (its own ranges, or none: a day off). No weekly hours at all: any time.
- buffers before and after every holding booking (travel, set-up, packing): a new gig with its
  own buffers must not touch another's;
- days the provider blocked (catalog.BusyDay, kind blocked), in the venue's time zone;
- at most N gigs on a venue day (a gig past midnight counts on both days it touches);
- minimum notice: the gig starts at least that long after now.

Every day is a day of the venue's time zone (the service's), computed with zoneinfo: start times
are wall-clock times on that day, so a time that does not exist (02:30 when clocks spring
forward) is never offered, and a time that happens twice (when clocks fall back) is offered once,
at its first occurrence.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings

from bookings.models import Booking
from bookings.state_machine import HOLDING_STATES
from calendars.models import AvailabilityRules, DateOverride, ImportedBusy, WeeklyHours
from catalog.models import BusyDay, Service

Interval = tuple[dt.datetime, dt.datetime]
Range = tuple[dt.time, dt.time]
STEP_MINUTES = 30  # free start times are offered every half hour of the venue's clock
UTC = dt.UTC
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Rules:
    """A provider's availability rules as plain data. `weekly` maps a weekday (0 Monday) to its
    ranges; `overrides` maps a date to its ranges ([] is a day off). Times are in `zone`."""

    zone: ZoneInfo
    weekly: dict[int, list[Range]] = field(default_factory=dict)
    overrides: dict[dt.date, list[Range]] = field(default_factory=dict)
    buffer_before: dt.timedelta = dt.timedelta(0)
    buffer_after: dt.timedelta = dt.timedelta(0)
    min_notice: dt.timedelta = dt.timedelta(0)
    max_gigs_per_day: int | None = None

    @property
    def has_hours(self) -> bool:
        return bool(self.weekly)


@dataclass(frozen=True)
class Snapshot:
    """Everything the rules read about one provider around a time, loaded once."""

    rules: Rules
    venue: ZoneInfo
    busy: list[Interval]
    blocked: frozenset[dt.date]
    gigs: list[Interval]  # holding bookings on the venue days in view (only when a daily maximum is set)
    own: list[Interval] = ()  # busy times from the provider's own calendar (calendars.ImportedBusy)


# -- pure rule functions -------------------------------------------------------------------------


def aware(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """`time` on `day` in `zone` as a UTC instant; 00:00 as an end means the next midnight."""
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(UTC)


def venue_day(day: dt.date, zone: ZoneInfo) -> Interval:
    """The instants of one calendar day of `zone` (23 or 25 hours on a clock change)."""
    return aware(day, dt.time(0), zone), aware(day + DAY, dt.time(0), zone)


def venue_days(starts_at: dt.datetime, ends_at: dt.datetime, zone: ZoneInfo) -> list[dt.date]:
    """The days of `zone` a gig touches: a gig past midnight touches two."""
    first = starts_at.astimezone(zone).date()
    last = (ends_at - dt.timedelta(microseconds=1)).astimezone(zone).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def merged(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted intervals with overlapping and touching ones joined (18:00-24:00 and 00:00-02:00 make 18:00-02:00)."""
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def ranges_on(rules: Rules, day: dt.date) -> list[Range] | None:
    """The ranges the provider works on `day` (their zone); None: no hours set, any time."""
    if day in rules.overrides:
        return rules.overrides[day]
    if not rules.has_hours:
        return None
    return rules.weekly.get(day.weekday(), [])


def open_intervals(rules: Rules, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """The instants between `start` and `end` in which the provider works, merged."""
    first = start.astimezone(rules.zone).date() - DAY
    last = end.astimezone(rules.zone).date() + DAY
    out: list[Interval] = []
    day = first
    while day <= last:
        ranges = ranges_on(rules, day)
        if ranges is None:
            out.append(venue_day(day, rules.zone))
        for begins, ends in ranges or ():
            out.append(
                (aware(day, begins, rules.zone), aware(day + DAY if ends == dt.time(0) else day, ends, rules.zone))
            )
        day += DAY
    return merged(out)


def within(intervals: list[Interval], start: dt.datetime, end: dt.datetime) -> bool:
    return any(a <= start and end <= b for a, b in intervals)


def overlaps(intervals: Iterable[Interval], start: dt.datetime, end: dt.datetime) -> bool:
    return any(a < end and start < b for a, b in intervals)


def gigs_on(gigs: list[Interval], day: dt.date, zone: ZoneInfo) -> int:
    day_start, day_end = venue_day(day, zone)
    return sum(1 for a, b in gigs if a < day_end and day_start < b)


def _minutes(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if not rest:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def problem_in(
    snap: Snapshot, starts_at: dt.datetime, ends_at: dt.datetime, *, now: dt.datetime, accepting=False
) -> str | None:
    """Why the gig cannot take place then, as a sentence, or None. `accepting`: the provider is
    accepting a request they already have, so their own hours and notice are theirs to waive;
    what protects other gigs (holds and buffers, blocked days, the daily maximum) still counts."""
    rules = snap.rules
    if overlaps(snap.busy, starts_at - rules.buffer_before, ends_at + rules.buffer_after):
        if rules.buffer_before or rules.buffer_after:
            return (
                "The provider is booked then, or too close to another gig: they keep "
                f"{_minutes(rules.buffer_before)} before and {_minutes(rules.buffer_after)} after each gig free."
            )
        return "The provider is already booked at that time."
    if overlaps(snap.own, starts_at - rules.buffer_before, ends_at + rules.buffer_after):
        return "The provider is busy at that time (their own calendar)."
    days = venue_days(starts_at, ends_at, snap.venue)
    if snap.blocked.intersection(days):
        return "The provider is not available that day."
    if rules.max_gigs_per_day is not None:
        for day in days:
            if gigs_on(snap.gigs, day, snap.venue) >= rules.max_gigs_per_day:
                most = rules.max_gigs_per_day
                return (
                    f"The provider takes at most {most} gig{'s' if most != 1 else ''} a day, and {day:%-d %B} is full."
                )
    if accepting:
        return None
    if starts_at < now + rules.min_notice:
        if rules.min_notice:
            return f"The provider needs notice of at least {_minutes(rules.min_notice)}: pick a later time."
        return "Pick a time in the future."
    if not within(open_intervals(rules, starts_at, ends_at), starts_at, ends_at):
        local_days = {starts_at.astimezone(rules.zone).date()}
        if all(ranges_on(rules, d) == [] for d in local_days):
            return "The provider does not work that day."
        return "That time is outside the provider's working hours."
    return None


def wall_clock_starts(day: dt.date, zone: ZoneInfo, step_minutes: int = STEP_MINUTES) -> list[dt.datetime]:
    """The start times of a venue day every `step_minutes` of its wall clock, as instants:
    a time the clock skips is left out, a time it shows twice appears once (the first)."""
    out = []
    for minute in range(0, 24 * 60, step_minutes):
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
        instant = local.astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
            continue  # in the gap of a spring-forward change: this time does not exist that day
        out.append(instant)
    return out


# -- reading the database -------------------------------------------------------------------------


def rules_for(provider_id: int, *, default_zone: str | None = None) -> Rules:
    """The provider's rules as plain data (three queries). Without a rules row: no buffers, no
    notice, no daily maximum, hours (if any) in `default_zone`."""
    row = AvailabilityRules.objects.filter(provider_id=provider_id).first()
    weekly: dict[int, list[Range]] = {}
    for weekday, starts, ends in WeeklyHours.objects.filter(provider_id=provider_id).values_list(
        "weekday", "starts", "ends"
    ):
        weekly.setdefault(weekday, []).append((starts, ends))
    overrides: dict[dt.date, list[Range]] = {}
    for date, starts, ends in DateOverride.objects.filter(provider_id=provider_id).values_list(
        "date", "starts", "ends"
    ):
        ranges = overrides.setdefault(date, [])
        if starts is not None:
            ranges.append((starts, ends))
    zone = ZoneInfo(row.timezone if row else default_zone or settings.TIME_ZONE)
    if row is None:
        return Rules(zone=zone, weekly=weekly, overrides=overrides)
    return Rules(
        zone=zone,
        weekly=weekly,
        overrides=overrides,
        buffer_before=dt.timedelta(minutes=row.buffer_before_minutes),
        buffer_after=dt.timedelta(minutes=row.buffer_after_minutes),
        min_notice=dt.timedelta(hours=row.min_notice_hours),
        max_gigs_per_day=row.max_gigs_per_day,
    )


def busy_intervals(
    provider_id: int, start: dt.datetime, end: dt.datetime, *, rules: Rules | None = None, exclude_booking=None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The instants between `start` and `end` the provider's time is taken, merged: each holding
    booking (accepted, deposit paid, confirmed) widened by the provider's buffers before and
    after. One query (and the rules', when not given).

    This is the single source of "the provider is busy then" for slots, the booking service and
    the picker. The provider's own calendar (calendars.ImportedBusy) is read beside it, into
    Snapshot.own: its events need no buffers of their own, and a clash is said in other words."""
    rules = rules or rules_for(provider_id)
    before, after = rules.buffer_before, rules.buffer_after
    rows = Booking.objects.filter(
        provider_id=provider_id, state__in=HOLDING_STATES, starts_at__lt=end + before, ends_at__gt=start - after
    )
    if exclude_booking is not None:
        rows = rows.exclude(pk=exclude_booking.pk)
    return merged((a - before, b + after) for a, b in rows.values_list("starts_at", "ends_at"))


def snapshot(service: Service, start: dt.datetime, end: dt.datetime, *, exclude_booking=None) -> Snapshot:
    """What the rules need to judge gigs between `start` and `end` (four to five queries)."""
    rules = rules_for(service.provider_id, default_zone=service.timezone)
    venue = ZoneInfo(service.timezone)
    pad = rules.buffer_before + rules.buffer_after
    days = venue_days(start, end, venue)
    first, last = venue_day(days[0], venue)[0], venue_day(days[-1], venue)[1]
    busy = busy_intervals(service.provider_id, start - pad, end + pad, rules=rules, exclude_booking=exclude_booking)
    blocked = BusyDay.objects.filter(
        provider_id=service.provider_id, kind=BusyDay.Kind.BLOCKED, date__gte=days[0], date__lte=days[-1]
    ).values_list("date", flat=True)
    gigs: list[Interval] = []
    if rules.max_gigs_per_day is not None:
        rows = Booking.objects.filter(
            provider_id=service.provider_id, state__in=HOLDING_STATES, starts_at__lt=last, ends_at__gt=first
        )
        if exclude_booking is not None:
            rows = rows.exclude(pk=exclude_booking.pk)
        gigs = list(rows.values_list("starts_at", "ends_at"))
    own = ImportedBusy.objects.filter(
        provider_id=service.provider_id, starts_at__lt=end + pad, ends_at__gt=start - pad
    ).values_list("starts_at", "ends_at")
    return Snapshot(rules=rules, venue=venue, busy=busy, blocked=frozenset(blocked), gigs=gigs, own=merged(own))


def slot_problem(
    service: Service,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    now: dt.datetime,
    exclude_booking=None,
    accepting: bool = False,
) -> str | None:
    """Why a gig of `service` from `starts_at` to `ends_at` cannot be booked, as a sentence for
    the client, or None when it can. The booking service calls it under the provider lock."""
    snap = snapshot(service, starts_at, ends_at, exclude_booking=exclude_booking)
    return problem_in(snap, starts_at, ends_at, now=now, accepting=accepting)


def free_starts(service: Service, date: dt.date, duration_minutes: int, *, now: dt.datetime) -> list[dt.datetime]:
    """The start times on `date` (a day of the venue's time zone) at which a gig of
    `duration_minutes` can be requested, every STEP_MINUTES of the venue's clock, as UTC instants."""
    venue = ZoneInfo(service.timezone)
    starts = wall_clock_starts(date, venue)
    length = dt.timedelta(minutes=duration_minutes)
    snap = snapshot(service, starts[0], starts[-1] + length)
    return [s for s in starts if problem_in(snap, s, s + length, now=now) is None]
