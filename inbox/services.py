"""Writes for the inbox: the only code that adds notifications or marks them read."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from inbox.models import MAX_TEXT_LENGTH, EmailOptOut, Kind, Notification
from inbox.selectors import notification_unread_count


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT_LENGTH else text[: MAX_TEXT_LENGTH - 1] + "…"


def notifications_add(*, recipients: Iterable, kind: str, booking, text: str) -> list[Notification]:
    """One inbox line for each recipient, in the caller's transaction (one query)."""
    rows = [Notification(recipient=user, kind=kind, booking=booking, text=_one_line(text)) for user in recipients]
    return Notification.objects.bulk_create(rows)


def notification_mark_read(
    *, user, ids: Iterable | None = None, all: bool = False, now: dt.datetime | None = None
) -> int:
    """Mark the user's notifications read: those whose public ids are in `ids`, or all of them.
    Ids of notifications that are not the user's (or do not exist) are ignored: the answer is
    the same as for an unknown id, so it tells nothing about anyone else's inbox. Marking a read
    notification again changes nothing. Returns how many are still unread."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if not all:
        unread = unread.filter(public_id__in=list(ids or []))
    unread.update(read_at=now or timezone.now())
    return notification_unread_count(user=user)


def notifications_read_for_booking(*, user, booking, now: dt.datetime | None = None) -> None:
    """The user has opened the booking: what their inbox said about it is read (one query)."""
    Notification.objects.filter(recipient=user, booking=booking, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


def email_preferences_set(*, user, kinds: Iterable[str]) -> None:
    """Email the user about exactly these kinds of notification; the inbox gets every kind."""
    wanted = set(kinds)
    with transaction.atomic():
        EmailOptOut.objects.filter(user=user, kind__in=wanted).delete()
        EmailOptOut.objects.bulk_create(
            [EmailOptOut(user=user, kind=kind) for kind in Kind.values if kind not in wanted], ignore_conflicts=True
        )
