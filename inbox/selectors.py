"""Reads for the inbox, always scoped to the user asking."""

from django.db.models import QuerySet

from inbox.models import EmailOptOut, Kind, Notification


def notification_list_for_user(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first, with their bookings (one query a page)."""
    qs = Notification.objects.filter(recipient=user).select_related("booking")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-pk")


def notification_get_for_user(*, user, public_id) -> Notification | None:
    return Notification.objects.filter(recipient=user, public_id=public_id).first()


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def email_wanted(*, user, kind: str) -> bool:
    """Whether the user wants notifications of this kind by email (yes unless they said no)."""
    return not EmailOptOut.objects.filter(user=user, kind=kind).exists()


def email_preferences_of(*, user) -> dict[str, bool]:
    """Each kind and whether the user gets it by email."""
    off = set(EmailOptOut.objects.filter(user=user).values_list("kind", flat=True))
    return {kind: kind not in off for kind in Kind.values}
