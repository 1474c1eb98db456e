import uuid

from django.conf import settings
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
