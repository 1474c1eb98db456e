"""Small builders for booking tests; they go through the real services."""

import datetime as dt

from django.utils import timezone


def at(days: int, hour: int = 20) -> dt.datetime:
    """A time `days` from now at `hour`:00 local time."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
