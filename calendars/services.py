"""Writes for calendars: feed tokens, and a provider's working hours and availability rules."""

import datetime as dt
import secrets
import zoneinfo
from itertools import pairwise

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from calendars.models import (
    MAX_BUFFER_MINUTES,
    MAX_GIGS_PER_DAY,
    MAX_NOTICE_HOURS,
    AvailabilityRules,
    CalendarFeed,
    DateOverride,
    WeeklyHours,
)
from catalog.cache import catalog_changed

Range = tuple[dt.time, dt.time]


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits, 43 characters


def calendar_feed_ensure(*, user: User) -> CalendarFeed:
    """The user's feed, made the first time it is asked for."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(user=user, token=_new_token())
    except IntegrityError:  # made at the same moment by another request
        return CalendarFeed.objects.get(user=user)


def calendar_feed_rotate(*, user: User) -> CalendarFeed:
    """A new link for the user's feed: the old URL is not found from now on."""
    feed = calendar_feed_ensure(user=user)
    feed.token, feed.rotated_at = _new_token(), timezone.now()
    feed.save(update_fields=["token", "rotated_at"])
    return feed


# Working hours and rules (calendars.availability reads them). Each write checks everything
# first and changes nothing when any part is wrong; search may change, so each bumps its version.

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MAX_OVERRIDE_DAYS_AHEAD = 2 * 365
MAX_RANGES_A_DAY = 6


def _require_provider(user: User) -> None:
    if not user.is_provider:
        raise PermissionDenied("Only provider accounts have working hours.")


def _minute_of(time: dt.time, *, end: bool) -> int:
    minute = time.hour * 60 + time.minute
    return 24 * 60 if end and minute == 0 else minute  # an end of 00:00 is midnight, the day's end


def ranges_problem(ranges: list[Range]) -> str | None:
    """Why a day's ranges cannot be saved (a sentence), or None: each must end after it starts
    (00:00 as an end is midnight; a gig past midnight continues in the next day's first range),
    and no two may overlap."""
    if len(ranges) > MAX_RANGES_A_DAY:
        return f"Give at most {MAX_RANGES_A_DAY} ranges a day."
    spans = []
    for starts, ends in ranges:
        begin, finish = _minute_of(starts, end=False), _minute_of(ends, end=True)
        if finish <= begin:
            return (
                f"{starts:%H:%M}-{ends:%H:%M} ends before it starts: to work past midnight, end at 00:00 "
                "and start the next day at 00:00."
            )
        spans.append((begin, finish, starts, ends))
    spans.sort()
    for (_, finish, s1, e1), (begin, _, s2, e2) in pairwise(spans):
        if begin < finish:
            return f"{s1:%H:%M}-{e1:%H:%M} and {s2:%H:%M}-{e2:%H:%M} overlap."
    return None


def weekly_hours_save(*, provider: User, week: dict[int, list[Range]]) -> None:
    """Replace the provider's weekly hours with `week` (weekday 0 Monday → its ranges). An empty
    week removes them: clients may then ask for any time."""
    _require_provider(provider)
    errors = {}
    for weekday, ranges in week.items():
        if weekday not in range(7):
            errors["weekday"] = ["Weekdays run from 0 (Monday) to 6 (Sunday)."]
        elif problem := ranges_problem(ranges):
            errors[WEEKDAYS[weekday].lower()] = [problem]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        WeeklyHours.objects.filter(provider=provider).delete()
        WeeklyHours.objects.bulk_create(
            WeeklyHours(provider=provider, weekday=day, starts=s, ends=e)
            for day, ranges in week.items()
            for s, e in ranges
        )
        transaction.on_commit(catalog_changed)


def date_override_save(*, provider: User, date: dt.date, ranges: list[Range]) -> list[DateOverride]:
    """Give `date` its own hours: `ranges`, or none at all (a day off). Replaces what the date had."""
    _require_provider(provider)
    today = timezone.localdate()
    errors = {}
    if date < today:
        errors["date"] = ["Pick today or a later date."]
    elif date > today + dt.timedelta(days=MAX_OVERRIDE_DAYS_AHEAD):
        errors["date"] = [f"Pick a date within the next {MAX_OVERRIDE_DAYS_AHEAD // 365} years."]
    if problem := ranges_problem(ranges):
        errors["ranges"] = [problem]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        DateOverride.objects.filter(provider=provider, date=date).delete()
        rows = DateOverride.objects.bulk_create(
            [DateOverride(provider=provider, date=date, starts=s, ends=e) for s, e in ranges]
            or [DateOverride(provider=provider, date=date)]
        )
        transaction.on_commit(catalog_changed)
    return rows


def date_override_delete(*, provider: User, date: dt.date) -> int:
    """The date follows its weekday's hours again. Returns how many rows went."""
    deleted, _ = DateOverride.objects.filter(provider=provider, date=date).delete()
    if deleted:
        transaction.on_commit(catalog_changed)
    return deleted


def availability_rules_save(
    *,
    provider: User,
    buffer_before_minutes: int,
    buffer_after_minutes: int,
    min_notice_hours: int,
    max_gigs_per_day: int | None,
    timezone_name: str,
) -> AvailabilityRules:
    """Set the provider's buffers, notice, daily maximum and the zone their hours are written in."""
    _require_provider(provider)
    errors = {}
    for name, value in (
        ("buffer_before_minutes", buffer_before_minutes),
        ("buffer_after_minutes", buffer_after_minutes),
    ):
        if not 0 <= value <= MAX_BUFFER_MINUTES:
            errors[name] = ["A buffer is between 0 minutes and a day (1440 minutes)."]
    if not 0 <= min_notice_hours <= MAX_NOTICE_HOURS:
        errors["min_notice_hours"] = [f"Minimum notice is between 0 and {MAX_NOTICE_HOURS // 24} days."]
    if max_gigs_per_day is not None and not 1 <= max_gigs_per_day <= MAX_GIGS_PER_DAY:
        errors["max_gigs_per_day"] = [f"At most between 1 and {MAX_GIGS_PER_DAY} gigs a day, or leave it empty."]
    if timezone_name not in zoneinfo.available_timezones():
        errors["timezone"] = ["Pick a time zone from the list, e.g. Europe/Berlin."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rules, _ = AvailabilityRules.objects.update_or_create(
            provider=provider,
            defaults={
                "buffer_before_minutes": buffer_before_minutes,
                "buffer_after_minutes": buffer_after_minutes,
                "min_notice_hours": min_notice_hours,
                "max_gigs_per_day": max_gigs_per_day,
                "timezone": timezone_name,
            },
        )
        transaction.on_commit(catalog_changed)
    return rules
