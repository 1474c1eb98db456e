"""Writes for partner webhooks: subscriptions, the deliveries a booking change queues, and
sending one delivery (a task, signed, retried for about a day).

A delivery's body is `{id, type, created_at, data: {booking}}`, the booking as
`GET /api/bookings/{id}` shows it to the subscriber (`message.created` adds `message`, as
`GET /api/bookings/{id}/messages` lists it); the `GigSta-Signature` header is
`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` keyed with the subscription's secret.
"""

import datetime as dt
import fnmatch
import hashlib
import hmac
import json
import re
import secrets
import time
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User
from bookings.api import BookingOut, MessageOut
from bookings.models import Booking, BookingEvent, Message
from bookings.selectors import booking_card
from bookings.state_machine import ACTIONS_BY_NAME, REQUEST
from gigsta.tasks import outbound, retry_delay
from webhooks import http
from webhooks.models import MAX_SUBSCRIPTIONS, Delivery, Subscription

SIGNATURE_HEADER = "GigSta-Signature"
MESSAGE_CREATED = "message.created"
EVENT_TYPES = sorted([*(f"booking.{name}" for name in (*ACTIONS_BY_NAME, REQUEST.name)), MESSAGE_CREATED])
PATTERN = re.compile(r"^(booking|message)\.(\*|[a-z_]+)$")
WILDCARDS = ("booking.*", "message.*")
MAX_EVENTS = 30
# Retried for about a day: 1, 2, 4 … minutes, then every 4 hours; 14 attempts span 24 hours.
DELIVERY_ATTEMPTS = 14
DELIVERY_MAX_DELAY = dt.timedelta(hours=4)
TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The subscriber did not answer 2xx: the task is retried."""


def secret_of(subscription: Subscription) -> str:
    """The subscription's signing secret: derived, never stored (WEBHOOK_SIGNING_KEY + salt)."""
    digest = salted_hmac(
        "gigsta.webhooks.secret", subscription.secret_salt, secret=settings.WEBHOOK_SIGNING_KEY, algorithm="sha256"
    )
    return "whsec_" + digest.hexdigest()


def signature_of(secret: str, timestamp: int, body: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def _clean(url: str, events: list[str]) -> tuple[str, list[str]]:
    errors: dict[str, list[str]] = {}
    url = url.strip()
    try:
        URLValidator(schemes=["https", "http"])(url)
        if urlsplit(url).scheme != "https" and not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
            raise ValidationError("Use an https:// address.")
    except ValidationError as exc:
        errors["url"] = exc.messages if exc.messages != ["Enter a valid URL."] else ["Enter a full https:// address."]
    events = sorted({e.strip() for e in events if e.strip()})
    unknown = [e for e in events if not PATTERN.match(e) or (e not in WILDCARDS and e not in EVENT_TYPES)]
    if not events:
        errors["events"] = ['Choose at least one event, e.g. "booking.*".']
    elif unknown or len(events) > MAX_EVENTS:
        errors["events"] = [
            f'Unknown events: {", ".join(unknown[:5])}. Use "booking.*", "message.*" or names such as '
            '"booking.accept" and "message.created".'
        ]
    if errors:
        raise ValidationError(errors)
    return url, events


def subscription_create(*, owner: User, url: str, events: list[str]) -> tuple[Subscription, str]:
    """Subscribe `url` to the owner's booking events. Returns the subscription and its secret,
    which is shown to the owner this once."""
    url, events = _clean(url, events)
    if Subscription.objects.filter(owner=owner).count() >= MAX_SUBSCRIPTIONS:
        raise ValidationError({"url": [f"At most {MAX_SUBSCRIPTIONS} webhooks per account: delete one first."]})
    subscription = Subscription.objects.create(owner=owner, url=url, events=events, secret_salt=secrets.token_hex(16))
    return subscription, secret_of(subscription)


def subscription_delete(*, subscription: Subscription, actor: User) -> None:
    if subscription.owner_id != actor.pk:
        raise PermissionDenied("Only its owner can delete a webhook.")
    subscription.delete()


def _matches(patterns: list[str], event_type: str) -> bool:
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in patterns)


def _booking_json(booking: Booking, user: User) -> dict:
    """The booking as the API shows it to `user`."""
    card = booking_card(booking=booking, user=user, now=timezone.now())
    return BookingOut.model_validate(card).model_dump(mode="json")


def webhooks_queue(booking: Booking, event: BookingEvent) -> None:
    """In the transaction of every booking change: one delivery per subscription of either
    party that wants this event, its task queued with the change (so it exists exactly when
    the change does)."""
    _deliveries_queue(booking, f"booking.{event.action}", event.created_at, lambda owner: {})


def webhooks_queue_message(booking: Booking, message: Message) -> None:
    """In the transaction that writes a message: `message.created` to the parties' subscriptions."""
    data = MessageOut.model_validate(message).model_dump(mode="json")
    _deliveries_queue(booking, MESSAGE_CREATED, message.created_at, lambda owner: {"message": data})


def _deliveries_queue(booking: Booking, event_type: str, created_at: dt.datetime, more) -> None:
    """One delivery per subscription of either party that wants `event_type`: the booking as the
    subscriber sees it, and `more(owner)` beside it."""
    subscriptions = Subscription.objects.filter(owner_id__in=[booking.client_id, booking.provider_id])
    for subscription in subscriptions.select_related("owner"):
        if not _matches(subscription.events, event_type):
            continue
        delivery = Delivery(subscription=subscription, event_type=event_type)
        body = {
            "id": str(delivery.public_id),
            "type": event_type,
            "created_at": created_at.isoformat(),
            "data": {"booking": _booking_json(booking, subscription.owner), **more(subscription.owner)},
        }
        delivery.body = json.dumps(body, separators=(",", ":"))
        delivery.save()
        delivery_send.enqueue(delivery.pk)


@outbound(attempts=DELIVERY_ATTEMPTS, max_delay=DELIVERY_MAX_DELAY)
def delivery_send(delivery_id: int, attempt: int = 1) -> None:
    """Task: POST one delivery, signed. Records what came back; raises on anything but 2xx, so
    the task is retried. A delivery that arrived already is not sent again."""
    delivery = Delivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.delivered_at is not None:
        return  # the webhook was deleted meanwhile, or this arrived already
    url = delivery.subscription.url
    timestamp = int(time.time())
    signature = signature_of(secret_of(delivery.subscription), timestamp, delivery.body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GigSta-Webhooks/1.0",
        SIGNATURE_HEADER: f"t={timestamp},v1={signature}",
        "GigSta-Event": delivery.event_type,
        "GigSta-Delivery": str(delivery.public_id),
    }
    try:
        status, reason = http.post(url, delivery.body.encode(), headers, timeout=TIMEOUT_SECONDS)
    except http.NotPublic as exc:
        _record(delivery, attempt, status_code=None, error=str(exc), last=True)
        return  # refused for good: not retried
    except urllib3.exceptions.HTTPError as exc:
        _record(delivery, attempt, status_code=None, error=str(exc)[:300])
        raise DeliveryFailed(f"{url}: {exc}") from exc
    _record(delivery, attempt, status_code=status, error="" if 200 <= status < 300 else reason[:300])
    if not 200 <= status < 300:
        raise DeliveryFailed(f"{url} answered {status}")


def _record(delivery: Delivery, attempt: int, *, status_code: int | None, error: str, last: bool = False) -> None:
    now = timezone.now()
    delivered = status_code is not None and 200 <= status_code < 300
    more = not delivered and not last and attempt < DELIVERY_ATTEMPTS
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=F("attempts") + 1,
        status_code=status_code,
        error=error,
        delivered_at=now if delivered else None,
        next_attempt_at=now + retry_delay(attempt, DELIVERY_MAX_DELAY) if more else None,
    )


def delivery_redeliver(*, delivery: Delivery, actor: User) -> Delivery:
    """Send a delivery again now (same id and body, newly signed), e.g. after fixing the receiver."""
    if delivery.subscription.owner_id != actor.pk:
        raise PermissionDenied("Only the webhook's owner can redeliver.")
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(delivered_at=None, next_attempt_at=timezone.now())
        delivery_send.enqueue(delivery.pk)
    delivery.refresh_from_db()
    return delivery
