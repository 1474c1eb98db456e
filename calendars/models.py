import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class CalendarFeed(models.Model):
    """A user's private calendar feed (calendars.ics): whoever has the URL reads the user's gigs,
    without signing in. One per user; a new link (calendars.services.calendar_feed_rotate) gives it
    a new random token, and the old URL is not found from then on.

    The token is kept as it is, not as a digest, because the profile page shows the link again
    whenever its owner looks: it opens a read-only list of gigs, never the account."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"


MAX_URL_LENGTH = 2000
MAX_ERROR_LENGTH = 300


class BusyImport(models.Model):
    """A provider's own calendar, read from the `.ics` URL they pasted: its busy times block
    bookings (ImportedBusy) and search (catalog.BusyDay, kind=imported, for whole days).

    One per provider. A task fetches it (calendars.services.busy_import_fetch) when it is saved
    and whenever `next_fetch_at` has passed (run_timers); a fetch that fails keeps the busy
    times of the last good one and says what went wrong in `last_error`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="busy_import")
    url = models.CharField(max_length=MAX_URL_LENGTH)  # checked by calendars.services._clean_url
    created_at = models.DateTimeField(auto_now_add=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    # A sentence for the provider about the last fetch; empty when it worked.
    last_error = models.CharField(max_length=MAX_ERROR_LENGTH, blank=True)
    last_error_code = models.CharField(max_length=32, blank=True)  # calendars.fetch.FeedProblem.code
    event_count = models.PositiveIntegerField(default=0)
    # What the server said about the version we have, for a conditional GET.
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    # When the busy times were last worked out from the whole calendar (a conditional GET that
    # finds it unchanged does not move the window of expanded recurring events).
    expanded_at = models.DateTimeField(null=True, blank=True)
    # When run_timers queues the next fetch (set at each queueing, so a slow worker gets one).
    next_fetch_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"Calendar import of {self.provider_id}"


class ImportedBusy(models.Model):
    """A time the provider is busy in their own calendar (an event, or one occurrence of a
    recurring one), in UTC. All-day events cover their days in the provider's time zone."""

    busy_import = models.ForeignKey(BusyImport, on_delete=models.CASCADE, related_name="intervals")
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imported_busy")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    all_day = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["provider", "starts_at"], name="importedbusy_provider_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="importedbusy_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} busy {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M} UTC"


MAX_BUFFER_MINUTES = 24 * 60
MAX_NOTICE_HOURS = 90 * 24
MAX_GIGS_PER_DAY = 50


class WeeklyHours(models.Model):
    """One range of a provider's working hours on a weekday, in the zone of their rules
    (AvailabilityRules.timezone). A day may have several ranges; they never overlap (checked by
    calendars.services.weekly_hours_set). `ends` 00:00 means midnight at the end of the day.
    A provider without any row takes requests at any time."""

    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(help_text="0 Monday … 6 Sunday")
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        indexes = [models.Index(fields=["provider", "weekday"], name="weeklyhours_provider_day")]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="weeklyhours_weekday_range"),
            models.UniqueConstraint(fields=["provider", "weekday", "starts"], name="weeklyhours_one_start"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} day {self.weekday} {self.starts:%H:%M}-{self.ends:%H:%M}"


class DateOverride(models.Model):
    """A date whose hours differ from the weekday's: closed (no `starts`/`ends`: a day off), or
    open in its own ranges (one row per range) instead of the weekly ones."""

    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="date_overrides")
    date = models.DateField()
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "starts"]
        indexes = [models.Index(fields=["provider", "date"], name="dateoverride_provider_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__isnull=True, ends__isnull=True)
                | models.Q(starts__isnull=False, ends__isnull=False),
                name="dateoverride_closed_or_range",
            ),
            models.UniqueConstraint(fields=["provider", "date", "starts"], name="dateoverride_one_start"),
            models.UniqueConstraint(
                fields=["provider", "date"], condition=models.Q(starts__isnull=True), name="dateoverride_one_closed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.date} {'closed' if self.closed else f'{self.starts}-{self.ends}'}"

    @property
    def closed(self) -> bool:
        return self.starts is None


class AvailabilityRules(models.Model):
    """A provider's rules around gigs: buffers kept free before and after each (travel, set-up,
    packing), how long before a gig a request must come, how many gigs a day, and the time zone
    their weekly hours are written in."""

    provider = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability")
    buffer_before_minutes = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(MAX_BUFFER_MINUTES)])
    buffer_after_minutes = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(MAX_BUFFER_MINUTES)])
    min_notice_hours = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(MAX_NOTICE_HOURS)])
    max_gigs_per_day = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_GIGS_PER_DAY)]
    )
    timezone = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(buffer_before_minutes__lte=MAX_BUFFER_MINUTES)
                & models.Q(buffer_after_minutes__lte=MAX_BUFFER_MINUTES)
                & models.Q(min_notice_hours__lte=MAX_NOTICE_HOURS),
                name="availabilityrules_ranges",
            ),
            models.CheckConstraint(
                condition=models.Q(max_gigs_per_day__isnull=True) | models.Q(max_gigs_per_day__gte=1),
                name="availabilityrules_max_gigs",
            ),
        ]

    def __str__(self) -> str:
        return f"Availability rules of {self.provider_id}"
