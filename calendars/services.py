"""Writes for calendars: the only code that makes or changes a feed's token."""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from calendars.models import CalendarFeed


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
