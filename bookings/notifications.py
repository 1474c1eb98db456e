"""Emails to the other party after each booking change: a task of every action in the effects
table (gigsta/effects.py), queued with the change, so a change that rolls back sends nothing.
Each email is a task of its own (gigsta/mail.py), retried while the mail server is down."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from bookings.models import Booking, BookingEvent
from gigsta.tasks import outbound


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
