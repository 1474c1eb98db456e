"""Partner webhooks in the API: subscribe, list, delete, read the delivery log, redeliver."""

import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from accounts.api import ErrorOut
from gigsta.schemas import InputSchema
from webhooks.selectors import delivery_get_for_user, subscription_get_for_user, subscription_list_for_user
from webhooks.services import delivery_redeliver, subscription_create, subscription_delete

router = Router(tags=["webhooks"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class WebhookIn(InputSchema):
    url: str = Field(max_length=500, description="https:// address that receives the events")
    events: list[str] = Field(
        min_length=1,
        max_length=30,
        description='"booking.*", "message.*" or event names such as "booking.accept" and "message.created"',
    )


class WebhookOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    url: str
    events: list[str]
    created_at: dt.datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Verifies the GigSta-Signature header. Shown only in this answer.")


class DeliveryOut(Schema):
    id: UUID = Field(validation_alias="public_id", description="The event's id: the same on every retry")
    event_type: str
    status_code: int | None
    attempts: int
    delivered_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime


class DeliveryListOut(Schema):
    items: list[DeliveryOut]
    count: int


class PageIn(InputSchema):
    page: int = Field(1, ge=1, le=10_000)


PAGE_SIZE = 50


@router.get("/webhooks", response={200: list[WebhookOut], **ERRORS}, operation_id="webhook_list_api")
def webhook_list_api(request: HttpRequest):
    """Your webhooks (their secrets are never shown again)."""
    return subscription_list_for_user(user=request.auth)


@router.post("/webhooks", response={201: WebhookCreatedOut, **ERRORS}, operation_id="webhook_create_api")
def webhook_create_api(request: HttpRequest, payload: WebhookIn):
    """Subscribe a URL to the events of your bookings. The answer carries the signing secret, once."""
    subscription, subscription.secret = subscription_create(owner=request.auth, url=payload.url, events=payload.events)
    return Status(201, subscription)


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS}, operation_id="webhook_delete_api")
def webhook_delete_api(request: HttpRequest, webhook_id: UUID):
    """Stop a webhook; its pending deliveries are dropped."""
    subscription_delete(
        subscription=subscription_get_for_user(user=request.auth, public_id=webhook_id), actor=request.auth
    )
    return Status(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response={200: DeliveryListOut, **ERRORS},
    operation_id="webhook_deliveries_api",
)
def webhook_deliveries_api(request: HttpRequest, webhook_id: UUID, query: Query[PageIn]):
    """The delivery log, newest first, 50 a page."""
    deliveries = subscription_get_for_user(user=request.auth, public_id=webhook_id).deliveries.all()
    start = (query.page - 1) * PAGE_SIZE
    return {"items": list(deliveries[start : start + PAGE_SIZE]), "count": deliveries.count()}


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut, **ERRORS},
    operation_id="webhook_redeliver_api",
)
def webhook_redeliver_api(request: HttpRequest, webhook_id: UUID, delivery_id: UUID):
    """Send a delivery again now: same id and body, newly signed."""
    delivery = delivery_get_for_user(user=request.auth, subscription_id=webhook_id, public_id=delivery_id)
    return Status(202, delivery_redeliver(delivery=delivery, actor=request.auth))
