"""What the parties are told of each booking change, each new message and each reminder: a line
in their inbox, written in the transaction of the change (`*_notify`), and an email, a task
queued in that same transaction (`notify_parties`, `message_email`, `reminder_email`) that
checks the recipient's email preferences when it runs. Both are declared in the effects table
(gigsta/effects.py) and decided here, from the same recipients: whoever is told by email is told
in the inbox too. A change that rolls back tells no one. Each email is a task of its own
(gigsta/mail.py), retried while the mail server is down."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bookings.deadlines import deadline_words
from bookings.models import Booking, BookingEvent, Message, Reminder, ReviewModeration, ThreadReader
from bookings.services import booking_context
from bookings.state_machine import HOLDING_STATES, Waiting, waiting_of
from gigsta.tasks import outbound
from inbox.models import Kind
from inbox.selectors import email_wanted
from inbox.services import notifications_add

# A party hears of new messages in a thread at most this often while they wait unread.
MESSAGE_EMAIL_EVERY = dt.timedelta(minutes=10)
MESSAGES_IN_EMAIL = 5
MESSAGE_EXCERPT = 140  # characters of a message its inbox line quotes


def recipients(booking: Booking, event: BookingEvent) -> list:
    """Everyone on the booking except whoever acted; staff and system changes reach both parties."""
    return [user for user in (booking.client, booking.provider) if user.pk != event.actor_id]


def _email(user: User, name: str, context: dict) -> None:
    """Queue one email from bookings/email/<name>_subject.txt, <name>.txt and <name>.html."""
    send_mail(
        subject="[GigSta] " + render_to_string(f"bookings/email/{name}_subject.txt", context).strip(),
        message=render_to_string(f"bookings/email/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
        html_message=render_to_string(f"bookings/email/{name}.html", context),
    )


def reader_of(booking: Booking, user: User) -> str:
    return "client" if user.pk == booking.client_id else "provider"


def about(booking: Booking) -> str:
    """How the inbox names a booking: "Wedding DJ, 14 Mar 2027" (the gig's date where it is)."""
    return f"{booking.service.title}, {booking.starts_at.astimezone(ZoneInfo(booking.service.timezone)):%-d %b %Y}"


def _waiting(booking: Booking) -> Waiting | None:
    return waiting_of(booking, booking_context())


def _deadline(booking: Booking, waiting: Waiting | None, user: User) -> str:
    """Who must act by when, for this reader, as a sentence; empty when no clock runs."""
    return deadline_words(booking=booking, waiting=waiting, reader=reader_of(booking, user)) + "." if waiting else ""


def change_notify(booking: Booking, event: BookingEvent) -> None:
    """In the change's transaction: an inbox line for everyone its email goes to."""
    waiting = _waiting(booking)
    for user in recipients(booking, event):
        text = f"{about(booking)}: {event.note}. {_deadline(booking, waiting, user)}"
        notifications_add(recipients=[user], kind=Kind.BOOKING, booking=booking, text=text)


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
    waiting = _waiting(booking) if booking.state == event.to_state else None  # not if it moved on since
    for user in recipients(booking, event):
        if not email_wanted(user=user, kind=Kind.BOOKING):
            continue
        deadline = _deadline(booking, waiting, user)
        context = {
            "booking": booking,
            "event": event,
            "recipient": user,
            "link": link,
            "deadline": deadline,
            "support_email": settings.SUPPORT_EMAIL,
            "now": timezone.now(),
        }
        _email(user, "change", context)


def message_recipients(booking: Booking, message: Message) -> list[User]:
    """The parties besides the author: the other party, or both when staff wrote."""
    return [user for user in (booking.client, booking.provider) if user.pk != message.author_id]


def message_notify(booking: Booking, message: Message) -> None:
    """In the message's transaction: an inbox line for each party it may be emailed to."""
    author = "GigSta staff" if message.as_staff else message.author.display_name
    body = " ".join(message.body.split())
    excerpt = body if len(body) <= MESSAGE_EXCERPT else body[: MESSAGE_EXCERPT - 1] + "…"
    text = f"{about(booking)}: {author} wrote “{excerpt}”"
    notifications_add(recipients=message_recipients(booking, message), kind=Kind.MESSAGE, booking=booking, text=text)


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
            if not email_wanted(user=user, kind=Kind.MESSAGE):
                continue
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
    _email(user, "message", context)
    reader.emailed_at, reader.emailed_upto = now, unread[-1].created_at
    reader.save(update_fields=["emailed_at", "emailed_upto"])


def reminder_recipients(booking: Booking, reminder: Reminder) -> list[User]:
    """A deadline reminder goes to the party who must act; a gig reminder to both parties."""
    if reminder.kind == Reminder.Kind.GIG:
        return [booking.client, booking.provider]
    waiting = _waiting(booking)
    if waiting is None or waiting.at != reminder.at:
        return []  # answered meanwhile: nothing to remind of
    return [booking.client if waiting.party == "client" else booking.provider]


def _reminder_words(booking: Booking, reminder: Reminder, user: User) -> str:
    if reminder.kind == Reminder.Kind.GIG:
        starts = booking.starts_at.astimezone(ZoneInfo(booking.service.timezone))
        return (
            f"Your gig is on {starts:%a %-d %b} at {starts:%H:%M} local time in {booking.service.city}, "
            f"at {booking.venue}."
        )
    return _deadline(booking, _waiting(booking), user)


def reminder_notify(booking: Booking, reminder: Reminder) -> None:
    """In the transaction that records the reminder: an inbox line for each party it is for."""
    for user in reminder_recipients(booking, reminder):
        text = f"{about(booking)}: Reminder. {_reminder_words(booking, reminder, user)}"
        notifications_add(recipients=[user], kind=Kind.REMINDER, booking=booking, text=text)


@outbound
def reminder_email(booking_id: int, reminder_id: int) -> None:
    """Email a reminder to each party it is for who wants reminders by email; nothing when the
    booking no longer waits for what it reminds of (answered, cancelled, moved)."""
    reminder = Reminder.objects.select_related("booking__service", "booking__client", "booking__provider").get(
        pk=reminder_id, booking_id=booking_id
    )
    booking = reminder.booking
    if reminder.kind == Reminder.Kind.GIG and (booking.starts_at != reminder.at or booking.state not in HOLDING_STATES):
        return
    link = settings.SITE_URL + reverse("bookings:detail", args=[booking.public_id])
    with transaction.atomic():
        for user in reminder_recipients(booking, reminder):
            if not email_wanted(user=user, kind=Kind.REMINDER):
                continue
            context = {
                "booking": booking,
                "recipient": user,
                "link": link,
                "reminder": reminder,
                "words": _reminder_words(booking, reminder, user),
            }
            _email(user, "reminder", context)


@outbound
def review_hidden_email(moderation_id: int) -> None:
    """Tell a review's author that staff hid it, and why (queued by bookings.services.review_hide).
    An account email, sent whatever their preferences; nothing if it was shown again meanwhile."""
    moderation = ReviewModeration.objects.select_related(
        "review__author", "review__booking__service", "review__booking__client", "review__booking__provider"
    ).get(pk=moderation_id)
    review = moderation.review
    if review.hidden_at is None:
        return
    context = {"review": review, "booking": review.booking, "reason": moderation.reason, "site_url": settings.SITE_URL}
    send_mail(
        subject="[GigSta] " + render_to_string("bookings/email/review_hidden_subject.txt", context).strip(),
        message=render_to_string("bookings/email/review_hidden.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[review.author.email],
    )


def dispute_staff_recipients() -> list[str]:
    """Who hears of a new dispute: every active staff account with an email address."""
    return list(User.objects.filter(is_staff=True, is_active=True).exclude(email="").values_list("email", flat=True))


@outbound
def dispute_staff_email(booking_id: int, event_id: int) -> None:
    """Task: tell GigSta's staff a client opened a dispute, with the client's words and a link to
    the booking's admin page, where they read the evidence and resolve it. One email to each."""
    event = BookingEvent.objects.select_related("booking__service", "booking__client", "booking__provider").get(
        pk=event_id, booking_id=booking_id
    )
    booking = event.booking
    context = {
        "booking": booking,
        "event": event,
        "link": settings.SITE_URL + reverse("admin:bookings_booking_change", args=[booking.pk]),
        "queue": settings.SITE_URL + reverse("admin:bookings_booking_changelist") + "?dispute=open",
    }
    with transaction.atomic():
        for email in dispute_staff_recipients():
            send_mail(
                subject="[GigSta staff] "
                + render_to_string("bookings/email/dispute_staff_subject.txt", context).strip(),
                message=render_to_string("bookings/email/dispute_staff.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[email],
            )
