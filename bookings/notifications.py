"""Emails to the other party after each booking change, and after each new message: tasks in
the effects table (gigsta/effects.py), queued with the change, so a change that rolls back sends
nothing. Each email is a task of its own (gigsta/mail.py), retried while the mail server is down."""

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, BookingEvent, Message, ThreadReader
from gigsta.tasks import outbound

# A party hears of new messages in a thread at most this often while they wait unread.
MESSAGE_EMAIL_EVERY = dt.timedelta(minutes=10)
MESSAGES_IN_EMAIL = 5


def recipients(booking: Booking, event: BookingEvent) -> list:
    """Everyone on the booking except whoever acted; staff and system changes reach both parties."""
    return [user for user in (booking.client, booking.provider) if user.pk != event.actor_id]


@outbound
def notify_parties(booking_id: int, event_id: int) -> None:
    event = BookingEvent.objects.select_related("booking__service", "booking__client", "booking__provider").get(
        pk=event_id, booking_id=booking_id
    )
    booking = event.booking
    link = settings.SITE_URL + reverse("bookings:detail", args=[booking.public_id])
    with transaction.atomic():  # every recipient's email is queued, or none (a retry queues them all)
        _emails_queue(booking, event, link)


def _emails_queue(booking: Booking, event: BookingEvent, link: str) -> None:
    for user in recipients(booking, event):
        context = {"booking": booking, "event": event, "recipient": user, "link": link}
        subject = render_to_string("bookings/email/change_subject.txt", context).strip()
        send_mail(
            subject=f"[GigSta] {subject}",
            message=render_to_string("bookings/email/change.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
            html_message=render_to_string("bookings/email/change.html", context),
        )


def message_recipients(booking: Booking, message: Message) -> list[User]:
    """The parties besides the author: the other party, or both when staff wrote."""
    return [user for user in (booking.client, booking.provider) if user.pk != message.author_id]


def _seen_or_told(reader: ThreadReader, message: Message) -> bool:
    """Whether the party has read the message, or was emailed about it already."""
    return any(mark is not None and mark >= message.created_at for mark in (reader.read_upto, reader.emailed_upto))


@outbound
def message_email(booking_id: int, message_id: int) -> None:
    """Tell each party who has not read a new message by email, in words they can read without
    opening the page: at most one email per thread every MESSAGE_EMAIL_EVERY. A party emailed
    less than that ago hears of it, with whatever else came meanwhile, once the interval is up
    (this task runs again then) unless they have read it by then."""
    message = (
        Message.objects.select_related("booking__service", "booking__client", "booking__provider")
        .filter(pk=message_id, booking_id=booking_id)
        .first()
    )
    if message is None:
        return
    booking, now, later = message.booking, timezone.now(), None
    with transaction.atomic():  # the read marks are locked: two workers never both email
        for user in message_recipients(booking, message):
            reader, _ = ThreadReader.objects.select_for_update().get_or_create(booking=booking, user=user)
            if _seen_or_told(reader, message):
                continue
            next_at = reader.emailed_at + MESSAGE_EMAIL_EVERY if reader.emailed_at else now
            if next_at > now:
                later = min(later or next_at, next_at)
                continue
            _message_email_queue(booking, user, reader, now)
    if later is not None:
        message_email.using(run_after=later).enqueue(booking_id, message_id)


def _message_email_queue(booking: Booking, user: User, reader: ThreadReader, now: dt.datetime) -> None:
    """One email about every message the party has neither read nor been told of."""
    since = max((m for m in (reader.read_upto, reader.emailed_upto) if m is not None), default=None)
    unread = booking.messages.exclude(author=user).select_related("author").prefetch_related("attachments")
    if since is not None:
        unread = unread.filter(created_at__gt=since)
    unread = list(unread.order_by("created_at", "pk"))
    if not unread:
        return
    link = settings.SITE_URL + reverse("bookings:detail", args=[booking.public_id]) + "#thread"
    context = {
        "booking": booking,
        "recipient": user,
        "messages": unread[-MESSAGES_IN_EMAIL:],
        "more": max(0, len(unread) - MESSAGES_IN_EMAIL),
        "count": len(unread),
        "link": link,
        "every_minutes": int(MESSAGE_EMAIL_EVERY.total_seconds() // 60),
    }
    send_mail(
        subject="[GigSta] " + render_to_string("bookings/email/message_subject.txt", context).strip(),
        message=render_to_string("bookings/email/message.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
        html_message=render_to_string("bookings/email/message.html", context),
    )
    reader.emailed_at, reader.emailed_upto = now, unread[-1].created_at
    reader.save(update_fields=["emailed_at", "emailed_upto"])
