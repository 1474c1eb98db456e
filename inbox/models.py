"""What each user is told in GigSta (their inbox), and which kinds they also want by email."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

MAX_TEXT_LENGTH = 300


class Kind(models.TextChoices):
    """What a notification is about; email preferences are per kind."""

    BOOKING = "booking", "Booking changes"
    MESSAGE = "message", "Messages"
    REMINDER = "reminder", "Reminders"


class Notification(models.Model):
    """One line in a user's inbox, about one booking. Written in the transaction of the change it
    tells of; the email about the same change (if the user wants it) is a task queued with it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=MAX_TEXT_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            # The nav badge counts these on every page: only the unread rows are in this index.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.text}"


class EmailOptOut(models.Model):
    """A kind of notification the user does not want by email (every kind is emailed by default;
    the inbox gets them all). Account emails (sign-up, password reset) are not notifications."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_opt_outs")
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="email_opt_out_once")]

    def __str__(self) -> str:
        return f"{self.user_id}: no {self.kind} emails"
