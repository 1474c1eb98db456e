import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import StrictBool, model_validator

from accounts.api import ErrorOut
from catalog.selectors import MAX_PAGE, MAX_PAGE_SIZE
from gigsta.schemas import InputSchema
from inbox.selectors import notification_list_for_user, notification_unread_count
from inbox.services import notification_mark_read

router = Router(tags=["notifications"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
MAX_IDS = 100


class NotificationOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    kind: str = Field(description="booking, message or reminder")
    booking_id: UUID = Field(validation_alias="booking.public_id")
    text: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationListOut(Schema):
    items: list[NotificationOut]
    count: int
    unread: int = Field(description="How many of the caller's notifications are unread, on every page.")
    page: int
    page_size: int


class NotificationFiltersIn(InputSchema):
    unread: bool = Field(False, description="true: only the unread ones")
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class NotificationReadIn(InputSchema):
    ids: list[UUID] | None = Field(None, max_length=MAX_IDS, description="Mark these read.")
    all: StrictBool = Field(False, description="true: mark every notification read.")

    @model_validator(mode="after")
    def _ids_or_all(self):
        if (self.ids is None) == (not self.all):
            raise ValueError("Send either ids (a list) or all: true.")
        return self


class UnreadOut(Schema):
    unread: int


@router.get("/notifications", response={200: NotificationListOut, **ERRORS}, operation_id="notification_list_api")
def notification_list_api(request: HttpRequest, filters: Query[NotificationFiltersIn]):
    """The caller's notifications, newest first."""
    qs = notification_list_for_user(user=request.auth, unread_only=filters.unread)
    start = (filters.page - 1) * filters.page_size
    return {
        "items": list(qs[start : start + filters.page_size]),
        "count": qs.count(),
        "unread": notification_unread_count(user=request.auth),
        "page": filters.page,
        "page_size": filters.page_size,
    }


@router.post("/notifications/read", response={200: UnreadOut, **ERRORS}, operation_id="notification_read_api")
def notification_read_api(request: HttpRequest, payload: NotificationReadIn):
    """Mark some (`ids`) or all (`all: true`) of the caller's notifications read. Ids that are not
    the caller's are ignored, exactly like unknown ids. Answers how many are still unread."""
    return {"unread": notification_mark_read(user=request.auth, ids=payload.ids, all=payload.all)}
