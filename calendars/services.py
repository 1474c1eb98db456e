"""Writes for calendars: the only code that makes or changes a feed's token, that sets up, fetches
and removes a provider's calendar import, and that sets a provider's working hours and rules."""

import datetime as dt
import secrets
import zoneinfo
from itertools import pairwise

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from calendars.busy import Busy, busy_times, calendar_parse, whole_days
from calendars.fetch import FeedProblem, Fetched, fetch, url_problem
from calendars.models import (
    MAX_BUFFER_MINUTES,
    MAX_ERROR_LENGTH,
    MAX_GIGS_PER_DAY,
    MAX_NOTICE_HOURS,
    MAX_URL_LENGTH,
    AvailabilityRules,
    BusyImport,
    CalendarFeed,
    DateOverride,
    ImportedBusy,
    WeeklyHours,
)
from calendars.selectors import NOT_A_PROVIDER, provider_zone
from catalog.cache import catalog_changed
from catalog.models import BusyDay
from gigsta.tasks import outbound

# A conditional GET ("not modified") keeps the busy times worked out before; once a day they
# are worked out again from the whole calendar, so recurring events reach 180 days ahead.
EXPAND_AGAIN_AFTER = dt.timedelta(days=1)
# Saving the same address again while the fetch queued less than this ago waits: no second one.
REFETCH_AFTER = dt.timedelta(minutes=1)
QUEUED_PER_RUN = 500

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


def _every() -> dt.timedelta:
    return dt.timedelta(minutes=settings.CALENDAR_IMPORT_EVERY_MINUTES)


def _clean_url(url: str) -> str:
    """The address to fetch, or ValidationError({"url": …}). webcal:// (what calendar apps
    offer to subscribe) is https://."""
    url = url.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    if not url:
        raise ValidationError({"url": ["Paste the address (URL) of your calendar's .ics feed."]})
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError({"url": [f"Keep the address under {MAX_URL_LENGTH:,} characters."]})
    if problem := url_problem(url):
        raise ValidationError({"url": [problem.message]})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": ["This is not a web address."]}) from None
    return url


def _fetch_waiting(busy_import: BusyImport, now: dt.datetime) -> bool:
    """Whether a fetch was queued less than REFETCH_AFTER ago and has not run yet. Each queueing
    (and each fetch) moves next_fetch_at to CALENDAR_IMPORT_EVERY_MINUTES after it."""
    if busy_import.next_fetch_at is None:
        return False
    queued_at = busy_import.next_fetch_at - _every()
    ran = busy_import.last_fetched_at is not None and busy_import.last_fetched_at >= queued_at
    return queued_at > now - REFETCH_AFTER and not ran


def busy_import_save(*, provider: User, url: str, now: dt.datetime | None = None) -> BusyImport:
    """Set the provider's calendar address (checked for its shape now) and queue a fetch. The busy
    times of the address before stay until the new one is read. Saving the same address again
    fetches it again, unless the fetch queued by the last save is still waiting (a double
    submit). Raises ValidationError or PermissionDenied."""
    if not provider.is_provider:
        raise PermissionDenied(NOT_A_PROVIDER)
    url = _clean_url(url)
    now = now or timezone.now()
    with transaction.atomic():
        busy_import, _ = BusyImport.objects.get_or_create(provider=provider, defaults={"url": url})
        busy_import = BusyImport.objects.select_for_update().get(pk=busy_import.pk)
        if busy_import.url == url and _fetch_waiting(busy_import, now):
            return busy_import  # a double submit: the fetch queued a moment ago has not run yet
        if busy_import.url != url:
            busy_import.url, busy_import.etag, busy_import.last_modified = url, "", ""
            busy_import.last_error = busy_import.last_error_code = ""
        busy_import.next_fetch_at = now + _every()
        busy_import.save()
        busy_import_fetch.enqueue(busy_import.pk)
    return busy_import


def busy_import_delete(*, provider: User) -> bool:
    """Stop importing the provider's calendar and forget its busy times. False: there was none."""
    if not provider.is_provider:
        raise PermissionDenied(NOT_A_PROVIDER)
    with transaction.atomic():
        busy_import = BusyImport.objects.select_for_update().filter(provider=provider).first()
        if busy_import is None:
            return False
        BusyDay.objects.filter(kind=BusyDay.Kind.IMPORTED, source_id=busy_import.public_id).delete()
        busy_import.delete()  # its ImportedBusy rows with it
        transaction.on_commit(catalog_changed)
    return True


@outbound(attempts=3)
def busy_import_fetch(import_id: int) -> str:
    """The task: read the import's calendar and store its busy times (busy_import_refresh)."""
    return busy_import_refresh(import_id=import_id)


def busy_import_refresh(*, import_id: int, now: dt.datetime | None = None) -> str:
    """Fetch the calendar, work out its busy times, and replace the stored ones in one
    transaction. A feed that fails (FeedProblem) changes nothing but the import's status, which
    says what is wrong. Safe to repeat; a fetch that finishes after a newer one is dropped.
    Returns what happened, for the task's result."""
    now = now or timezone.now()
    busy_import = BusyImport.objects.filter(pk=import_id).first()
    if busy_import is None:
        return "removed"
    url = busy_import.url
    fresh = busy_import.expanded_at and busy_import.expanded_at > now - EXPAND_AGAIN_AFTER
    use_validators = fresh and not busy_import.last_error
    try:
        fetched = fetch(
            url,
            etag=busy_import.etag if use_validators else "",
            last_modified=busy_import.last_modified if use_validators else "",
        )
        busy: list[Busy] | None = None
        zone = provider_zone(busy_import.provider_id)
        if not fetched.not_modified:
            busy = busy_times(calendar_parse(fetched.body), zone=zone, now=now)
    except FeedProblem as problem:
        return _refresh_write(import_id, url, now, problem=problem)
    return _refresh_write(import_id, url, now, fetched=fetched, busy=busy, zone=zone)


def _refresh_write(
    import_id: int,
    url: str,
    now: dt.datetime,
    *,
    problem: FeedProblem | None = None,
    fetched: Fetched | None = None,
    busy: list[Busy] | None = None,
    zone: str = "",
) -> str:
    with transaction.atomic():
        busy_import = BusyImport.objects.select_for_update().filter(pk=import_id, url=url).first()
        if busy_import is None or (busy_import.last_fetched_at and busy_import.last_fetched_at > now):
            return "superseded"  # removed, given another address, or fetched again since
        busy_import.last_fetched_at, busy_import.next_fetch_at = now, now + _every()
        if problem is not None:
            busy_import.last_error, busy_import.last_error_code = problem.message[:MAX_ERROR_LENGTH], problem.code
            busy_import.save()
            return problem.code
        busy_import.last_ok_at, busy_import.last_error, busy_import.last_error_code = now, "", ""
        if busy is not None:
            busy_import.etag, busy_import.last_modified = fetched.etag, fetched.last_modified
            busy_import.event_count, busy_import.expanded_at = len(busy), now
            _busy_replace(busy_import, busy, zone)
        busy_import.save()
    return "not modified" if busy is None else f"{len(busy)} busy times"


def _busy_replace(busy_import: BusyImport, busy: list[Busy], zone: str) -> None:
    """The import's busy times, and the whole days they fill (for search), become `busy`."""
    provider_id = busy_import.provider_id
    ImportedBusy.objects.filter(busy_import=busy_import).delete()
    ImportedBusy.objects.bulk_create(
        [
            ImportedBusy(
                busy_import=busy_import,
                provider_id=provider_id,
                starts_at=b.starts_at,
                ends_at=b.ends_at,
                all_day=b.all_day,
            )
            for b in busy
        ],
        batch_size=500,
    )
    days = BusyDay.objects.filter(kind=BusyDay.Kind.IMPORTED, source_id=busy_import.public_id)
    before = set(days.values_list("date", flat=True))
    after = set(whole_days(busy, zone=zone))
    if before != after:
        days.delete()
        BusyDay.objects.bulk_create(
            [
                BusyDay(provider_id=provider_id, date=d, kind=BusyDay.Kind.IMPORTED, source_id=busy_import.public_id)
                for d in sorted(after)
            ]
        )
        transaction.on_commit(catalog_changed)


def busy_imports_queue_due(*, now: dt.datetime | None = None) -> int:
    """Queue a fetch of every calendar not fetched (nor queued) for CALENDAR_IMPORT_EVERY_MINUTES
    (run_timers, every minute). Each import is claimed by moving its next_fetch_at, so several
    runners queue it once. Returns how many were queued."""
    now = now or timezone.now()
    due = Q(next_fetch_at__isnull=True) | Q(next_fetch_at__lte=now)
    ids = BusyImport.objects.filter(due, provider__is_active=True).order_by("next_fetch_at", "pk")
    queued = 0
    for pk in ids.values_list("pk", flat=True)[:QUEUED_PER_RUN]:
        with transaction.atomic():
            if BusyImport.objects.filter(due, pk=pk).update(next_fetch_at=now + _every()):
                busy_import_fetch.enqueue(pk)
                queued += 1
    return queued


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
