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
