"""Emails to the other party after each booking change: an after-commit effect of every
action in the effects table (gigsta/effects.py), so a change that rolls back sends nothing."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from bookings.models import Booking, BookingEvent


def recipients(booking: Booking, event: BookingEvent) -> list:
    """Everyone on the booking except whoever acted; staff and system changes reach both parties."""
    return [user for user in (booking.client, booking.provider) if user.pk != event.actor_id]


def notify_parties(booking: Booking, event: BookingEvent) -> None:
    link = settings.SITE_URL + reverse("bookings:detail", args=[booking.public_id])
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
