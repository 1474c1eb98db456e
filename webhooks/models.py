"""Partner webhooks: an account subscribes a URL to booking events; each event it may see is
one Delivery, sent by a task, signed, retried for a day, and kept as a log."""

import uuid

from django.conf import settings
from django.db import models

MAX_SUBSCRIPTIONS = 10


class Subscription(models.Model):
    """A URL that receives the owner's booking events. Its signing secret is never stored: it
    is derived from WEBHOOK_SIGNING_KEY and `secret_salt` (webhooks.services.secret_of), shown
    to the owner once, and changes when the subscription is made again."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    events = models.JSONField(help_text='Event types or patterns: ["booking.*"], ["booking.accept", …]')
    secret_salt = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event for one subscription: the body as first built (so a retry or a redelivery
    sends the same bytes), and what the last attempt got back."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the event's `id`
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=64)
    body = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription.url}"
